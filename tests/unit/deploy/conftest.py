from __future__ import annotations

import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest
from moto import mock_aws

from omc.deploy.rollout import HealthResult, RolloutResult, RolloutState

REGION = "eu-west-1"
CLUSTER = "omc-staging"
SERVICE = "omc-staging"
REPOSITORY = "omc-staging"
OLD_IMAGE = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/omc-staging:git-old"

MANIFEST = json.dumps(
    {
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "config": {
            "mediaType": "application/vnd.docker.container.image.v1+json",
            "size": 7023,
            "digest": "sha256:" + "a" * 64,
        },
        "layers": [
            {
                "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
                "size": 32654,
                "digest": "sha256:" + "b" * 64,
            }
        ],
    }
)


class ScriptedWatcher:
    """Plays back rollout results in order and records what it was asked to wait for."""

    def __init__(self, *results: RolloutResult) -> None:
        self._results = list(results)
        self.waited_for: list[str] = []

    def wait(
        self, cluster: str, service: str, task_definition_arn: str, timeout_s: float
    ) -> RolloutResult:
        self.waited_for.append(task_definition_arn)
        return self._results.pop(0)


@dataclass
class FixedHealth:
    result: HealthResult = field(default_factory=lambda: HealthResult(True, "all targets healthy"))
    checked: int = 0

    def check(self, service: Any) -> HealthResult:
        self.checked += 1
        return self.result


STABLE = RolloutResult(RolloutState.STABLE, "steady state")
FAILED = RolloutResult(RolloutState.FAILED, "tasks failed to start")
TIMEOUT = RolloutResult(RolloutState.TIMEOUT, "not stable after 900s")


@dataclass
class Aws:
    ecs: Any
    ecr: Any
    live_arn: str
    out: io.StringIO

    def service(self) -> dict[str, Any]:
        found = self.ecs.describe_services(cluster=CLUSTER, services=[SERVICE])
        return dict(found["services"][0])

    def revisions(self) -> list[str]:
        return list(
            self.ecs.list_task_definitions(familyPrefix="omc-staging")["taskDefinitionArns"]
        )

    def image_of(self, arn: str) -> str:
        definition = self.ecs.describe_task_definition(taskDefinition=arn)["taskDefinition"]
        return str(definition["containerDefinitions"][0]["image"])


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[Aws]:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        ecs = boto3.client("ecs", region_name=REGION)
        ecr = boto3.client("ecr", region_name=REGION)
        ecs.create_cluster(clusterName=CLUSTER)
        registered = ecs.register_task_definition(
            family="omc-staging",
            networkMode="awsvpc",
            requiresCompatibilities=["FARGATE"],
            cpu="512",
            memory="1024",
            executionRoleArn="arn:aws:iam::123456789012:role/omc-staging-execution",
            taskRoleArn="arn:aws:iam::123456789012:role/omc-staging-task",
            containerDefinitions=[
                {
                    "name": "omc",
                    "image": OLD_IMAGE,
                    "essential": True,
                    "environment": [{"name": "OMC_LOG_FORMAT", "value": "json"}],
                    "secrets": [
                        {
                            "name": "OMC_API_KEY_PEPPER",
                            "valueFrom": "arn:aws:secretsmanager:eu-west-1:123456789012:"
                            "secret:omc/staging/api-key-pepper",
                        }
                    ],
                }
            ],
            tags=[{"key": "Project", "value": "omc"}],
        )
        live_arn = registered["taskDefinition"]["taskDefinitionArn"]
        ecs.create_service(
            cluster=CLUSTER,
            serviceName=SERVICE,
            taskDefinition=live_arn,
            desiredCount=2,
            launchType="FARGATE",
        )
        ecr.create_repository(repositoryName=REPOSITORY, imageTagMutability="IMMUTABLE")
        ecr.put_image(
            repositoryName=REPOSITORY,
            imageManifest=MANIFEST,
            imageManifestMediaType="application/vnd.docker.distribution.manifest.v2+json",
            imageTag="git-abc",
        )
        yield Aws(ecs=ecs, ecr=ecr, live_arn=live_arn, out=io.StringIO())

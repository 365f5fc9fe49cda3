from __future__ import annotations

import io

import pytest

from omc.deploy.cli import Clients, parser, run
from omc.deploy.deployer import Base, Deployer, DeployError, ExitCode, Target
from omc.deploy.rollout import HealthResult

from .conftest import (
    CLUSTER,
    FAILED,
    OLD_IMAGE,
    REPOSITORY,
    SERVICE,
    STABLE,
    TIMEOUT,
    Aws,
    FixedHealth,
    ScriptedWatcher,
)

NEW_IMAGE = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/omc-staging:git-new"
TARGET = Target(cluster=CLUSTER, service=SERVICE)


def deployer(aws: Aws, watcher: ScriptedWatcher, health: FixedHealth | None = None) -> Deployer:
    return Deployer(aws.ecs, watcher=watcher, health=health or FixedHealth(), out=aws.out)


def test_success_registers_a_revision_with_only_the_image_changed(aws: Aws) -> None:
    watcher = ScriptedWatcher(STABLE)
    health = FixedHealth()
    d = deployer(aws, watcher, health)

    outcome = d.run(d.plan(TARGET, NEW_IMAGE))

    assert outcome.exit_code is ExitCode.OK
    assert outcome.new_arn is not None
    assert outcome.new_arn.endswith(":2")
    assert aws.service()["taskDefinition"] == outcome.new_arn
    assert watcher.waited_for == [outcome.new_arn]
    assert health.checked == 1
    old = aws.ecs.describe_task_definition(taskDefinition=aws.live_arn, include=["TAGS"])
    new = aws.ecs.describe_task_definition(taskDefinition=outcome.new_arn, include=["TAGS"])
    old_container = old["taskDefinition"]["containerDefinitions"][0]
    new_container = new["taskDefinition"]["containerDefinitions"][0]
    assert new_container["image"] == NEW_IMAGE
    assert {**new_container, "image": OLD_IMAGE} == old_container
    for key in ("cpu", "memory", "networkMode", "executionRoleArn", "taskRoleArn"):
        assert new["taskDefinition"][key] == old["taskDefinition"][key]
    assert new["tags"] == old["tags"]


@pytest.mark.parametrize("result", [FAILED, TIMEOUT], ids=["failed", "timeout"])
def test_failed_or_timed_out_rollout_rolls_back_and_exits_non_zero(aws: Aws, result) -> None:
    watcher = ScriptedWatcher(result, STABLE)
    d = deployer(aws, watcher)

    outcome = d.run(d.plan(TARGET, NEW_IMAGE))

    assert outcome.exit_code is ExitCode.ROLLED_BACK
    assert aws.service()["taskDefinition"] == aws.live_arn
    assert watcher.waited_for == [outcome.new_arn, aws.live_arn]
    assert "rolled back to" in aws.out.getvalue()
    assert result.detail in outcome.message


def test_unhealthy_targets_after_a_stable_rollout_roll_back(aws: Aws) -> None:
    watcher = ScriptedWatcher(STABLE, STABLE)
    health = FixedHealth(HealthResult(False, "1 of 2 targets not healthy"))
    d = deployer(aws, watcher, health)

    outcome = d.run(d.plan(TARGET, NEW_IMAGE))

    assert outcome.exit_code is ExitCode.ROLLED_BACK
    assert aws.service()["taskDefinition"] == aws.live_arn
    assert "not healthy" in outcome.message


def test_a_rollback_that_does_not_settle_is_reported_as_its_own_exit_code(aws: Aws) -> None:
    d = deployer(aws, ScriptedWatcher(FAILED, TIMEOUT))

    outcome = d.run(d.plan(TARGET, NEW_IMAGE))

    assert outcome.exit_code is ExitCode.ROLLBACK_FAILED
    assert "RUNBOOK" in outcome.message


def test_dry_run_prints_the_plan_and_changes_nothing(aws: Aws) -> None:
    watcher = ScriptedWatcher()
    revisions = aws.revisions()
    d = deployer(aws, watcher)

    outcome = d.run(d.plan(TARGET, NEW_IMAGE), dry_run=True)

    assert outcome.exit_code is ExitCode.OK
    assert aws.revisions() == revisions
    assert aws.service()["taskDefinition"] == aws.live_arn
    assert watcher.waited_for == []
    printed = aws.out.getvalue()
    assert NEW_IMAGE in printed
    assert OLD_IMAGE in printed
    assert aws.live_arn in printed


def test_missing_cluster_is_a_clear_error(aws: Aws) -> None:
    d = deployer(aws, ScriptedWatcher())
    with pytest.raises(DeployError, match="cluster 'omc-nowhere' not found") as caught:
        d.plan(Target(cluster="omc-nowhere", service=SERVICE), NEW_IMAGE)
    assert caught.value.exit_code is ExitCode.CONFIG_ERROR


def test_missing_service_is_a_clear_error(aws: Aws) -> None:
    d = deployer(aws, ScriptedWatcher())
    with pytest.raises(DeployError, match="service 'omc-nothing' not found"):
        d.plan(Target(cluster=CLUSTER, service="omc-nothing"), NEW_IMAGE)


def test_missing_container_names_the_ones_that_exist(aws: Aws) -> None:
    d = deployer(aws, ScriptedWatcher())
    with pytest.raises(DeployError, match=r"no container named 'web'.*'omc'"):
        d.plan(Target(cluster=CLUSTER, service=SERVICE, container="web"), NEW_IMAGE)


def test_base_latest_picks_up_a_revision_terraform_registered(aws: Aws) -> None:
    live = aws.ecs.describe_task_definition(taskDefinition=aws.live_arn)["taskDefinition"]
    container = {
        **live["containerDefinitions"][0],
        "environment": [{"name": "OMC_LOG_LEVEL", "value": "debug"}],
    }
    aws.ecs.register_task_definition(
        family=live["family"],
        networkMode="awsvpc",
        requiresCompatibilities=["FARGATE"],
        cpu="512",
        memory="1024",
        containerDefinitions=[container],
    )
    d = deployer(aws, ScriptedWatcher(STABLE))

    outcome = d.run(d.plan(TARGET, NEW_IMAGE, Base.LATEST))

    assert outcome.new_arn is not None
    new = aws.ecs.describe_task_definition(taskDefinition=outcome.new_arn)["taskDefinition"]
    assert new["containerDefinitions"][0]["environment"] == container["environment"]
    assert new["containerDefinitions"][0]["image"] == NEW_IMAGE


# The command line, end to end over moto.


def cli(aws: Aws, watcher: ScriptedWatcher, *argv: str, runner=None) -> tuple[int, str]:
    out = io.StringIO()
    clients = Clients(ecs=aws.ecs, ecr=aws.ecr, watcher=watcher, health=FixedHealth())
    if runner is not None:
        clients.runner = runner
    code = run(parser().parse_args(["--env", "staging", *argv]), clients, out)
    return code, out.getvalue()


def test_cli_image_mode_deploys(aws: Aws) -> None:
    code, printed = cli(aws, ScriptedWatcher(STABLE), "image", NEW_IMAGE)
    assert code == 0
    assert aws.image_of(aws.service()["taskDefinition"]) == NEW_IMAGE
    assert "deployed" in printed


def test_cli_failed_rollout_exits_one_and_restores_the_old_revision(aws: Aws) -> None:
    code, _ = cli(aws, ScriptedWatcher(FAILED, STABLE), "image", NEW_IMAGE)
    assert code == 1
    assert aws.service()["taskDefinition"] == aws.live_arn


def test_cli_missing_cluster_exits_two_with_a_message(aws: Aws) -> None:
    code, printed = cli(aws, ScriptedWatcher(), "--cluster", "nope", "image", NEW_IMAGE)
    assert code == 2
    assert "error: cluster 'nope' not found" in printed


def test_cli_push_retags_in_ecr_and_deploys_that_tag(aws: Aws) -> None:
    code, _ = cli(aws, ScriptedWatcher(STABLE), "push", "git-abc", "--tag", "v1.0.0")
    assert code == 0
    tags = {
        tag
        for image in aws.ecr.describe_images(repositoryName=REPOSITORY)["imageDetails"]
        for tag in image.get("imageTags", [])
    }
    assert {"git-abc", "v1.0.0"} <= tags
    assert aws.image_of(aws.service()["taskDefinition"]).endswith(f"/{REPOSITORY}:v1.0.0")


def test_cli_push_of_an_unknown_tag_changes_nothing(aws: Aws) -> None:
    revisions = aws.revisions()
    code, printed = cli(aws, ScriptedWatcher(), "push", "git-missing", "--tag", "v2")
    assert code == 2
    assert "git-missing" in printed
    assert aws.revisions() == revisions


def test_cli_dry_run_build_prints_commands_and_runs_none(aws: Aws) -> None:
    ran: list[list[str]] = []
    revisions = aws.revisions()

    code, printed = cli(
        aws,
        ScriptedWatcher(),
        "--dry-run",
        "build",
        "--tag",
        "git-feedface",
        runner=lambda command, stdin: ran.append(list(command)),
    )

    assert code == 0
    assert ran == []
    assert "would run: docker build" in printed
    assert "would run: docker push" in printed
    assert aws.revisions() == revisions
    assert aws.service()["taskDefinition"] == aws.live_arn


def test_cli_build_runs_docker_with_the_ecr_password_on_stdin(aws: Aws) -> None:
    ran: list[tuple[list[str], str | None]] = []
    code, _ = cli(
        aws,
        ScriptedWatcher(STABLE),
        "build",
        "--tag",
        "git-feedface",
        runner=lambda command, stdin: ran.append((list(command), stdin)),
    )
    assert code == 0
    assert [command[:2] for command, _ in ran] == [
        ["docker", "build"],
        ["docker", "login"],
        ["docker", "push"],
    ]
    login_stdin = ran[1][1]
    assert login_stdin
    assert login_stdin not in " ".join(ran[1][0])
    assert aws.image_of(aws.service()["taskDefinition"]).endswith(":git-feedface")

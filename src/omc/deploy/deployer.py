"""Register a new task-definition revision with one image changed, roll it out,
and put the previous revision back when the new one does not come up healthy."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from enum import IntEnum, StrEnum
from typing import Any, TextIO

from botocore.exceptions import BotoCoreError, ClientError

from omc.deploy.rollout import HealthCheck, RolloutState, RolloutWatcher

# Fields `describe_task_definition` returns that `register_task_definition` accepts.
# Everything else (ARN, revision, status, compatibilities, timestamps) is ECS's own.
_REGISTERABLE = (
    "family",
    "taskRoleArn",
    "executionRoleArn",
    "networkMode",
    "containerDefinitions",
    "volumes",
    "placementConstraints",
    "requiresCompatibilities",
    "cpu",
    "memory",
    "pidMode",
    "ipcMode",
    "proxyConfiguration",
    "inferenceAccelerators",
    "ephemeralStorage",
    "runtimePlatform",
)


class ExitCode(IntEnum):
    OK = 0
    ROLLED_BACK = 1  # the new version failed; the previous one serves again
    CONFIG_ERROR = 2  # nothing was changed: wrong cluster, service, image or arguments
    ROLLBACK_FAILED = 3  # page a human: neither version is known to be healthy


class DeployError(Exception):
    """A problem found before anything changed; the message says what to fix."""

    def __init__(self, message: str, exit_code: ExitCode = ExitCode.CONFIG_ERROR) -> None:
        super().__init__(message)
        self.exit_code = exit_code


class Base(StrEnum):
    # The revision the service runs now: only the image changes.
    LIVE = "live"
    # The newest revision of the family, e.g. one `terraform apply` registered with new
    # settings that the service does not run yet (Terraform ignores the service's revision).
    LATEST = "latest"


@dataclass(frozen=True, slots=True)
class Target:
    cluster: str
    service: str
    container: str = "omc"


@dataclass(frozen=True, slots=True)
class Plan:
    target: Target
    image: str
    current_arn: str
    current_image: str
    base_arn: str
    register: dict[str, Any] = field(repr=False)

    def describe(self) -> list[str]:
        return [
            f"cluster:        {self.target.cluster}",
            f"service:        {self.target.service}",
            f"container:      {self.target.container}",
            f"running now:    {self.current_arn}",
            f"current image:  {self.current_image}",
            f"based on:       {self.base_arn}",
            f"new image:      {self.image}",
            "steps:          register a new revision of "
            f"'{self.register['family']}' with only the image changed; update the service; "
            "wait for a steady state; check target health; on failure or timeout, "
            f"roll back to {self.current_arn}",
        ]


@dataclass(frozen=True, slots=True)
class Outcome:
    exit_code: ExitCode
    new_arn: str | None
    message: str


class Deployer:
    def __init__(
        self,
        ecs: Any,
        *,
        watcher: RolloutWatcher,
        health: HealthCheck,
        out: TextIO,
        timeout_s: float = 900.0,
        rollback_timeout_s: float = 900.0,
    ) -> None:
        self._ecs = ecs
        self._watcher = watcher
        self._health = health
        self._out = out
        self._timeout = timeout_s
        self._rollback_timeout = rollback_timeout_s

    def preflight(self, target: Target, base: Base = Base.LIVE) -> None:
        """Fail with a clear message, before anything is built or changed, when the
        cluster, service or container is not what the deploy expects."""
        self.plan(target, "preflight", base)

    def plan(self, target: Target, image: str, base: Base = Base.LIVE) -> Plan:
        if not image.strip():
            raise DeployError("the image URI is empty")
        service = self._service(target)
        current_arn = service["taskDefinition"]
        current = self._task_definition(current_arn)
        base_definition = current
        if base is Base.LATEST:
            base_definition = self._task_definition(current["family"])
        register = {
            key: copy.deepcopy(base_definition[key])
            for key in _REGISTERABLE
            if base_definition.get(key) not in (None, [], {})
        }
        if base_definition.get("tags"):
            register["tags"] = copy.deepcopy(base_definition["tags"])
        current_image = _container(current, target).get("image", "?")
        _container(register, target)["image"] = image
        return Plan(
            target=target,
            image=image,
            current_arn=current_arn,
            current_image=current_image,
            base_arn=base_definition["taskDefinitionArn"],
            register=register,
        )

    def run(self, plan: Plan, *, dry_run: bool = False) -> Outcome:
        for line in plan.describe():
            self._say(line)
        if dry_run:
            return Outcome(ExitCode.OK, None, "dry run: nothing was changed")

        registered = self._ecs.register_task_definition(**plan.register)["taskDefinition"]
        new_arn = registered["taskDefinitionArn"]
        self._say(f"registered {new_arn}")
        self._update(plan.target, new_arn)
        self._say(f"service updated; waiting up to {self._timeout:.0f}s for a steady state")

        try:
            rollout = self._watcher.wait(
                plan.target.cluster, plan.target.service, new_arn, self._timeout
            )
            if rollout.state is RolloutState.STABLE:
                health = self._health.check(self._service(plan.target))
                if health.healthy:
                    message = f"deployed {plan.image} as {new_arn} ({health.detail})"
                    self._say(message)
                    return Outcome(ExitCode.OK, new_arn, message)
                reason = f"unhealthy after rollout: {health.detail}"
            else:
                reason = f"rollout {rollout.state.value}: {rollout.detail}"
        except (BotoCoreError, ClientError) as error:
            # The service already points at the new revision: an unverifiable rollout
            # is treated as a failed one.
            reason = f"could not verify the rollout: {error}"
        return self._roll_back(plan, new_arn, reason)

    def _roll_back(self, plan: Plan, new_arn: str, reason: str) -> Outcome:
        self._say(f"FAILED: {reason}")
        self._say(f"rolling back to {plan.current_arn}")
        try:
            self._update(plan.target, plan.current_arn)
            rollback = self._watcher.wait(
                plan.target.cluster, plan.target.service, plan.current_arn, self._rollback_timeout
            )
        except (BotoCoreError, ClientError) as error:
            detail = f"error: {error}"
        else:
            if rollback.state is RolloutState.STABLE:
                message = f"rolled back to {plan.current_arn} after: {reason}"
                self._say(message)
                return Outcome(ExitCode.ROLLED_BACK, new_arn, message)
            detail = f"{rollback.state.value}: {rollback.detail}"
        message = (
            f"ROLLBACK NOT CONFIRMED ({detail}) after: {reason}; see docs/RUNBOOK.md, 'Rollback'"
        )
        self._say(message)
        return Outcome(ExitCode.ROLLBACK_FAILED, new_arn, message)

    def _update(self, target: Target, task_definition_arn: str) -> None:
        self._ecs.update_service(
            cluster=target.cluster, service=target.service, taskDefinition=task_definition_arn
        )

    def _service(self, target: Target) -> dict[str, Any]:
        try:
            described = self._ecs.describe_services(
                cluster=target.cluster, services=[target.service]
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ClusterNotFoundException":
                raise DeployError(
                    f"cluster '{target.cluster}' not found (check --env, --region and "
                    "the AWS account you are signed in to)"
                ) from error
            raise
        services = [s for s in described.get("services", []) if s.get("status") == "ACTIVE"]
        if not services:
            raise DeployError(
                f"service '{target.service}' not found or not active in cluster "
                f"'{target.cluster}' (has Terraform created it yet? see docs/RUNBOOK.md)"
            )
        service: dict[str, Any] = services[0]
        return service

    def _task_definition(self, reference: str) -> dict[str, Any]:
        response = self._ecs.describe_task_definition(taskDefinition=reference, include=["TAGS"])
        definition: dict[str, Any] = dict(response["taskDefinition"])
        if response.get("tags"):
            definition["tags"] = response["tags"]
        return definition

    def _say(self, line: str) -> None:
        print(line, file=self._out, flush=True)


def _container(definition: dict[str, Any], target: Target) -> dict[str, Any]:
    for container in definition.get("containerDefinitions", []):
        if container.get("name") == target.container:
            found: dict[str, Any] = container
            return found
    names = [c.get("name") for c in definition.get("containerDefinitions", [])]
    raise DeployError(
        f"the task definition has no container named '{target.container}' "
        f"(it has {names}); pass --container"
    )

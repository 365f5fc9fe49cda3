"""The real watcher and health check, over small scripted stand-ins for ECS and ELB."""

from __future__ import annotations

from typing import Any

from omc.deploy.rollout import EcsRolloutWatcher, RolloutState, TargetGroupHealth

ARN = "arn:aws:ecs:eu-west-1:123456789012:task-definition/omc-staging:7"
OLD = "arn:aws:ecs:eu-west-1:123456789012:task-definition/omc-staging:6"


def deployment(arn: str, status: str = "PRIMARY", **extra: Any) -> dict[str, Any]:
    return {
        "taskDefinition": arn,
        "status": status,
        "rolloutState": "IN_PROGRESS",
        "runningCount": 0,
        "desiredCount": 2,
        **extra,
    }


class ScriptedEcs:
    def __init__(self, *snapshots: list[dict[str, Any]]) -> None:
        self._snapshots = list(snapshots)

    def describe_services(self, cluster: str, services: list[str]) -> dict[str, Any]:
        deployments = self._snapshots.pop(0) if len(self._snapshots) > 1 else self._snapshots[0]
        return {"services": [{"deployments": deployments, "loadBalancers": []}]}


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def watcher(ecs: ScriptedEcs, clock: Clock) -> EcsRolloutWatcher:
    return EcsRolloutWatcher(ecs, interval_s=10, clock=clock, sleep=clock.sleep)


def test_stable_once_only_the_new_deployment_runs_at_full_count() -> None:
    clock = Clock()
    ecs = ScriptedEcs(
        [deployment(ARN), deployment(OLD, "ACTIVE")],
        [deployment(ARN, rolloutState="COMPLETED", runningCount=2)],
    )
    result = watcher(ecs, clock).wait("c", "s", ARN, 300)
    assert result.state is RolloutState.STABLE
    assert clock.now == 10


def test_failed_when_the_circuit_breaker_marks_the_rollout_failed() -> None:
    ecs = ScriptedEcs([deployment(ARN, rolloutState="FAILED", rolloutStateReason="crash loop")])
    result = watcher(ecs, Clock()).wait("c", "s", ARN, 300)
    assert result.state is RolloutState.FAILED
    assert result.detail == "crash loop"


def test_failed_when_our_deployment_was_replaced() -> None:
    ecs = ScriptedEcs([deployment(OLD, rolloutState="COMPLETED", runningCount=2)])
    result = watcher(ecs, Clock()).wait("c", "s", ARN, 300)
    assert result.state is RolloutState.FAILED


def test_timeout_when_it_never_settles() -> None:
    clock = Clock()
    ecs = ScriptedEcs([deployment(ARN), deployment(OLD, "ACTIVE")])
    result = watcher(ecs, clock).wait("c", "s", ARN, 60)
    assert result.state is RolloutState.TIMEOUT
    assert clock.now >= 60


class ScriptedElb:
    def __init__(self, *states: list[str]) -> None:
        self._states = list(states)

    def describe_target_health(self, TargetGroupArn: str) -> dict[str, Any]:
        states = self._states.pop(0) if len(self._states) > 1 else self._states[0]
        return {"TargetHealthDescriptions": [{"TargetHealth": {"State": s}} for s in states]}


SERVICE = {"loadBalancers": [{"targetGroupArn": "arn:tg"}]}


def health(elb: ScriptedElb, clock: Clock) -> TargetGroupHealth:
    return TargetGroupHealth(elb, grace_s=60, interval_s=10, clock=clock, sleep=clock.sleep)


def test_healthy_when_every_target_passes_ignoring_draining_ones() -> None:
    elb = ScriptedElb(["initial", "healthy"], ["healthy", "healthy", "draining"])
    assert health(elb, Clock()).check(SERVICE).healthy


def test_unhealthy_after_the_grace_period() -> None:
    clock = Clock()
    result = health(ScriptedElb(["healthy", "unhealthy"]), clock).check(SERVICE)
    assert not result.healthy
    assert "1 of 2" in result.detail
    assert clock.now >= 60


def test_no_registered_targets_is_unhealthy() -> None:
    assert not health(ScriptedElb([]), Clock()).check(SERVICE).healthy


def test_a_service_without_a_load_balancer_relies_on_ecs_stability() -> None:
    assert health(ScriptedElb([]), Clock()).check({"loadBalancers": []}).healthy

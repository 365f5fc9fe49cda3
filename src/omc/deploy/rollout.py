"""Waiting for a rollout and judging its health: the seams tests drive.

ECS (and moto, which never completes a rollout) is observed only through these
small classes, so the deploy logic can be tested for success, failure and timeout
without a real cluster.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol


class RolloutState(StrEnum):
    STABLE = "stable"
    FAILED = "failed"
    TIMEOUT = "timeout"


@dataclass(frozen=True, slots=True)
class RolloutResult:
    state: RolloutState
    detail: str = ""


@dataclass(frozen=True, slots=True)
class HealthResult:
    healthy: bool
    detail: str = ""


class RolloutWatcher(Protocol):
    def wait(
        self, cluster: str, service: str, task_definition_arn: str, timeout_s: float
    ) -> RolloutResult:
        """Block until the service runs only `task_definition_arn`, fails, or time runs out."""
        ...


class HealthCheck(Protocol):
    def check(self, service: Mapping[str, Any]) -> HealthResult:
        """Judge a service that ECS calls stable (a `describe_services` entry)."""
        ...


class EcsRolloutWatcher:
    """Polls `describe_services` until the new deployment is the only one and complete."""

    def __init__(
        self,
        ecs: Any,
        *,
        interval_s: float = 15.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._ecs = ecs
        self._interval = interval_s
        self._clock = clock
        self._sleep = sleep

    def wait(
        self, cluster: str, service: str, task_definition_arn: str, timeout_s: float
    ) -> RolloutResult:
        deadline = self._clock() + timeout_s
        while True:
            result = self._judge(cluster, service, task_definition_arn)
            if result is not None:
                return result
            if self._clock() >= deadline:
                return RolloutResult(RolloutState.TIMEOUT, f"not stable after {timeout_s:.0f}s")
            self._sleep(self._interval)

    def _judge(self, cluster: str, service: str, arn: str) -> RolloutResult | None:
        described = self._ecs.describe_services(cluster=cluster, services=[service])
        services = described.get("services", [])
        if not services:
            return RolloutResult(RolloutState.FAILED, "service disappeared")
        deployments = services[0].get("deployments", [])
        ours = [d for d in deployments if d.get("taskDefinition") == arn]
        if not ours:
            # The deployment circuit breaker replaced ours with a rollback deployment.
            return RolloutResult(RolloutState.FAILED, "deployment was replaced (circuit breaker)")
        mine = ours[0]
        if mine.get("rolloutState") == "FAILED":
            return RolloutResult(
                RolloutState.FAILED, mine.get("rolloutStateReason", "rollout failed")
            )
        if mine.get("status") != "PRIMARY":
            return RolloutResult(RolloutState.FAILED, "deployment is no longer primary")
        done = (
            len(deployments) == 1
            and mine.get("rolloutState", "COMPLETED") == "COMPLETED"
            and mine.get("runningCount") == mine.get("desiredCount")
        )
        return RolloutResult(RolloutState.STABLE, "steady state") if done else None


class TargetGroupHealth:
    """Every target the ALB has registered for the service passes the gRPC health check.

    The ALB asks `/grpc.health.v1.Health/Check` on each task, so "healthy" here is the
    service's own health answer, seen from where clients come in."""

    def __init__(
        self,
        elbv2: Any,
        *,
        grace_s: float = 120.0,
        interval_s: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._elbv2 = elbv2
        self._grace = grace_s
        self._interval = interval_s
        self._clock = clock
        self._sleep = sleep

    def check(self, service: Mapping[str, Any]) -> HealthResult:
        groups = [lb["targetGroupArn"] for lb in service.get("loadBalancers", [])]
        if not groups:
            return HealthResult(True, "no load balancer attached; ECS stability only")
        deadline = self._clock() + self._grace
        while True:
            result = self._probe(groups)
            if result.healthy or self._clock() >= deadline:
                return result
            self._sleep(self._interval)

    def _probe(self, groups: list[str]) -> HealthResult:
        for arn in groups:
            descriptions = self._elbv2.describe_target_health(TargetGroupArn=arn)
            states = [
                d["TargetHealth"]["State"]
                for d in descriptions.get("TargetHealthDescriptions", [])
                if d["TargetHealth"]["State"] != "draining"
            ]
            if not states:
                return HealthResult(False, f"no targets registered in {arn}")
            unhealthy = [s for s in states if s != "healthy"]
            if unhealthy:
                return HealthResult(
                    False, f"{len(unhealthy)} of {len(states)} targets not healthy in {arn}"
                )
        return HealthResult(True, "all targets healthy")

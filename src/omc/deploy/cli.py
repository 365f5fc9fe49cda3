"""`omc-deploy`: build or pick an image, roll it out to ECS, roll back if it fails.

    omc-deploy --env staging build                      # docker build, push, deploy
    omc-deploy --env production push git-0123abcd --tag v1.4.0   # retag in ECR, deploy
    omc-deploy --env staging image 1234.dkr.ecr.eu-west-1.amazonaws.com/omc-staging:v1
    omc-deploy --env production --dry-run image ...     # print the plan, change nothing

Exit codes: 0 deployed; 1 the new version failed and the previous one was restored;
2 nothing changed (bad arguments, missing cluster, service, repository or image);
3 the rollback itself was not confirmed: follow docs/RUNBOOK.md.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TextIO

from botocore.exceptions import BotoCoreError, ClientError

from omc.deploy.deployer import Base, Deployer, DeployError, ExitCode, Target
from omc.deploy.images import Registry, Runner, git_tag, subprocess_runner
from omc.deploy.rollout import EcsRolloutWatcher, HealthCheck, RolloutWatcher, TargetGroupHealth

ENVIRONMENTS = ("staging", "production")


def default_name(environment: str) -> str:
    """Cluster, service and repository names; terraform/environments/* use the same."""
    return f"omc-{environment}"


@dataclass
class Clients:
    """Everything `run` talks to; `main` builds the real ones, tests pass their own."""

    ecs: Any
    ecr: Any
    watcher: RolloutWatcher
    health: HealthCheck
    runner: Runner = subprocess_runner


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="omc-deploy",
        description="Deploy an OMC image to ECS with automatic rollback.",
        epilog="Exit codes: 0 deployed, 1 rolled back, 2 nothing changed, 3 rollback failed.",
    )
    p.add_argument("--env", required=True, choices=ENVIRONMENTS, help="target environment")
    p.add_argument("--region", help="AWS region (default: the AWS SDK's usual lookup)")
    p.add_argument("--cluster", help="ECS cluster (default: omc-<env>)")
    p.add_argument("--service", help="ECS service (default: omc-<env>)")
    p.add_argument("--repository", help="ECR repository (default: omc-<env>)")
    p.add_argument("--container", default="omc", help="container to update (default: omc)")
    p.add_argument(
        "--base",
        choices=[b.value for b in Base],
        default=Base.LIVE.value,
        help="copy the revision the service runs (live) or the family's newest (latest), "
        "e.g. after `terraform apply` changed settings",
    )
    p.add_argument(
        "--timeout", type=float, default=900.0, help="seconds to wait for a steady state"
    )
    p.add_argument("--dry-run", action="store_true", help="print the plan; change nothing in AWS")
    modes = p.add_subparsers(dest="mode", required=True, metavar="MODE")

    build = modes.add_parser("build", help="docker build, push to ECR, deploy")
    build.add_argument("--tag", help="image tag (default: git-<sha>)")
    build.add_argument("--context", default=".", help="build context (default: .)")
    build.add_argument("--file", default="Dockerfile", help="Dockerfile (default: Dockerfile)")

    push = modes.add_parser("push", help="retag an image already in ECR, deploy it")
    push.add_argument("source_tag", help="existing tag, e.g. git-0123abcd4567")
    push.add_argument("--tag", help="new tag (default: the source tag, i.e. no retag)")

    image = modes.add_parser("image", help="deploy a given image URI")
    image.add_argument("uri", help="full image URI, registry/repository:tag or @digest")
    return p


def run(args: argparse.Namespace, clients: Clients, out: TextIO) -> int:
    name = default_name(args.env)
    target = Target(
        cluster=args.cluster or name, service=args.service or name, container=args.container
    )
    repository = args.repository or name
    registry = Registry(clients.ecr, out=out, runner=clients.runner)
    deployer = Deployer(
        clients.ecs,
        watcher=clients.watcher,
        health=clients.health,
        out=out,
        timeout_s=args.timeout,
        rollback_timeout_s=args.timeout,
    )
    mode = "DRY RUN - " if args.dry_run else ""
    print(f"{mode}omc-deploy {args.mode} to {args.env}", file=out)
    try:
        # Check the service before building or tagging anything, so a typo in --env
        # or --region costs nothing.
        deployer.preflight(target, Base(args.base))
        if args.mode == "build":
            image = registry.build_and_push(
                repository,
                args.tag or git_tag(args.context),
                context=args.context,
                dockerfile=args.file,
                dry_run=args.dry_run,
            )
        elif args.mode == "push":
            image = registry.retag(
                repository, args.source_tag, args.tag or args.source_tag, dry_run=args.dry_run
            )
        else:
            image = args.uri
        plan = deployer.plan(target, image, Base(args.base))
        outcome = deployer.run(plan, dry_run=args.dry_run)
    except DeployError as error:
        print(f"error: {error}", file=out)
        return int(error.exit_code)
    print(outcome.message, file=out)
    return int(outcome.exit_code)


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    import boto3  # deferred: `--help` and argument errors need no AWS SDK start-up

    session = boto3.session.Session(region_name=args.region)
    ecs = session.client("ecs")
    clients = Clients(
        ecs=ecs,
        ecr=session.client("ecr"),
        watcher=EcsRolloutWatcher(ecs),
        health=TargetGroupHealth(session.client("elbv2")),
    )
    try:
        return run(args, clients, sys.stdout)
    except (BotoCoreError, ClientError) as error:
        # Credentials, permissions, throttling: say which call failed, no traceback.
        print(f"error: AWS call failed: {error}", file=sys.stderr)
        return int(ExitCode.CONFIG_ERROR)


if __name__ == "__main__":
    sys.exit(main())

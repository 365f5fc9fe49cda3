"""There is no Docker engine here, so the Dockerfile is checked by reading it."""

from __future__ import annotations

import json
import re

from .hcl import ROOT

DOCKERFILE = ROOT / "Dockerfile"


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    logical: list[str] = []
    pending = ""
    for raw in DOCKERFILE.read_text().splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        logical.append(pending + line)
        pending = ""
    parsed = []
    for line in logical:
        word, _, rest = line.partition(" ")
        parsed.append((word.upper(), rest.strip()))
    return parsed


def final_stage() -> list[tuple[str, str]]:
    steps = instructions()
    last_from = max(i for i, (word, _) in enumerate(steps) if word == "FROM")
    return steps[last_from:]


def test_multi_stage_on_a_slim_pinned_base() -> None:
    bases = [args for word, args in instructions() if word == "FROM"]
    assert len(bases) >= 2
    for base in bases:
        image = base.split()[0]
        assert "slim" in image, image
        assert ":" in image
        assert not image.endswith(":latest")
    assert any(word == "COPY" and "--from=" in args for word, args in final_stage())


def test_installs_runtime_dependencies_only_with_the_constraints() -> None:
    runs = " ".join(args for word, args in instructions() if word == "RUN")
    assert re.search(r"pip install -c constraints\.txt \.(\s|$)", runs)
    assert "[dev]" not in runs


def test_runs_as_a_non_root_user() -> None:
    users = [args for word, args in final_stage() if word == "USER"]
    assert users
    user = users[-1].split(":")[0]
    assert user not in ("root", "0")


def test_health_check_asks_the_grpc_health_service() -> None:
    checks = [args for word, args in final_stage() if word == "HEALTHCHECK"]
    assert len(checks) == 1
    command = json.loads(checks[0].split("CMD", 1)[1].strip())
    assert command[:2] == ["omc", "health"]
    assert "--address" in command


def test_serves_grpc_on_all_interfaces() -> None:
    steps = dict(final_stage())
    entrypoint = json.loads(steps["ENTRYPOINT"])
    command = json.loads(steps.get("CMD", "[]"))
    assert [*entrypoint, *command] == ["omc", "serve"]
    env = " ".join(args for word, args in final_stage() if word == "ENV")
    assert "OMC_GRPC_ADDRESS=0.0.0.0:50051" in env
    assert "OMC_LOG_FORMAT=json" in env
    assert "50051" in steps["EXPOSE"]


def test_dockerignore_lets_in_only_what_the_build_needs() -> None:
    lines = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert lines[0] == "**"
    allowed = {line[1:].rstrip("/") for line in lines if line.startswith("!")}
    assert allowed == {"constraints.txt", "pyproject.toml", "README.md", "src"}
    copied = " ".join(
        args for word, args in instructions() if word == "COPY" and "--from" not in args
    )
    for name in allowed:
        assert name in copied

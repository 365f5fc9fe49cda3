"""python-hcl2 output, normalised: quotes stripped from labels and string literals,
parser bookkeeping (`__is_block__`, `__comments__`) dropped."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import hcl2

ROOT = Path(__file__).resolve().parents[2]
TERRAFORM = ROOT / "terraform"
MODULES = TERRAFORM / "modules"
ENVIRONMENTS = TERRAFORM / "environments"
MODULE_NAMES = ("network", "ecr", "rds", "secrets", "ecs_service", "monitoring")
ENVIRONMENT_NAMES = ("staging", "production")


def _clean(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            _clean(k): _clean(v)
            for k, v in value.items()
            if k not in ("__is_block__", "__comments__")
        }
    if isinstance(value, list):
        return [_clean(v) for v in value]
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    return value


@cache
def load(path: Path) -> dict[str, Any]:
    with path.open() as handle:
        parsed: dict[str, Any] = _clean(hcl2.load(handle))
    return parsed


def tf_files() -> list[Path]:
    return sorted(TERRAFORM.rglob("*.tf"))


def blocks(path: Path, kind: str) -> list[tuple[str, dict[str, Any]]]:
    """`variable`/`output`/`module` blocks of a file as (name, body)."""
    return [(name, body) for entry in load(path).get(kind, []) for name, body in entry.items()]


def resources(path: Path, rtype: str | None = None) -> list[tuple[str, str, dict[str, Any]]]:
    found = []
    for entry in load(path).get("resource", []):
        for kind, named in entry.items():
            for name, body in named.items():
                if rtype is None or kind == rtype:
                    found.append((kind, name, body))
    return found


def variable_default(module_dir: Path, name: str) -> Any:
    for var_name, body in blocks(module_dir / "variables.tf", "variable"):
        if var_name == name:
            return body.get("default")
    raise KeyError(f"{module_dir.name} has no variable {name}")


def module_call(environment: str, name: str) -> dict[str, Any]:
    for module_name, body in blocks(ENVIRONMENTS / environment / "main.tf", "module"):
        if module_name == name:
            return body
    raise KeyError(f"{environment} has no module {name}")

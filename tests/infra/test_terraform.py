"""Offline checks of terraform/: it parses, every module has its parts, variables are
typed and described, nothing secret is written down, and only the ALB's 443 is open
to the world."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from omc.deploy.cli import ENVIRONMENTS, default_name

from .hcl import (
    ENVIRONMENT_NAMES,
    MODULE_NAMES,
    MODULES,
    TERRAFORM,
    blocks,
    load,
    module_call,
    resources,
    tf_files,
    variable_default,
)
from .hcl import (
    ENVIRONMENTS as ENV_DIR,
)

WORLD = {"0.0.0.0/0", "::/0"}
ROOTS = [MODULES / m for m in MODULE_NAMES] + [ENV_DIR / e for e in ENVIRONMENT_NAMES]


@pytest.mark.parametrize("path", tf_files(), ids=lambda p: str(p.relative_to(TERRAFORM)))
def test_every_tf_file_parses(path: Path) -> None:
    assert isinstance(load(path), dict)


def test_all_modules_and_environments_exist() -> None:
    assert sorted(p.name for p in MODULES.iterdir() if p.is_dir()) == sorted(MODULE_NAMES)
    assert sorted(p.name for p in ENV_DIR.iterdir() if p.is_dir()) == sorted(ENVIRONMENT_NAMES)


@pytest.mark.parametrize("root", ROOTS, ids=lambda p: p.name)
def test_each_root_has_its_files(root: Path) -> None:
    for name in ("main.tf", "variables.tf", "outputs.tf", "README.md"):
        assert (root / name).is_file(), f"{root.relative_to(TERRAFORM)} lacks {name}"
    assert (root / "README.md").read_text().strip()


@pytest.mark.parametrize("environment", ENVIRONMENT_NAMES)
def test_environments_document_an_s3_backend(environment: str) -> None:
    main = load(ENV_DIR / environment / "main.tf")
    backends = main["terraform"][0]["backend"]
    assert any("s3" in b for b in backends)
    example = (ENV_DIR / environment / "backend.hcl.example").read_text()
    for key in ("bucket", "key", "region", "dynamodb_table", "encrypt"):
        assert re.search(rf"^{key}\s*=", example, re.MULTILINE), key


@pytest.mark.parametrize("root", ROOTS, ids=lambda p: p.name)
def test_every_variable_is_typed_and_described(root: Path) -> None:
    variables = blocks(root / "variables.tf", "variable")
    assert variables
    for name, body in variables:
        assert body.get("type"), f"{root.name}: variable {name} has no type"
        assert str(body.get("description", "")).strip(), f"{root.name}: {name} undescribed"
    for validation_owner, body in variables:
        for validation in body.get("validation", []):
            assert validation.get("condition"), validation_owner
            assert validation.get("error_message"), validation_owner


@pytest.mark.parametrize("root", ROOTS, ids=lambda p: p.name)
def test_every_output_is_described(root: Path) -> None:
    outputs = blocks(root / "outputs.tf", "output")
    assert outputs
    for name, body in outputs:
        assert str(body.get("description", "")).strip(), f"{root.name}: output {name}"


def test_constrained_variables_are_validated() -> None:
    constrained = {
        "rds": ["engine_version", "backup_retention_days", "instance_class"],
        "ecs_service": ["environment", "cpu", "certificate_arn", "container_image"],
        "monitoring": ["quality_score_min", "alarm_emails"],
        "network": ["availability_zones", "cidr_block"],
    }
    for module, names in constrained.items():
        variables = dict(blocks(MODULES / module / "variables.tf", "variable"))
        for name in names:
            assert variables[name].get("validation"), f"{module}.{name} has no validation"


# --- No secrets in the code.

# Attributes that would carry a secret value if someone wrote one down.
SECRET_KEY = re.compile(
    r"^(password|master_password|secret_string|secret_binary|token|auth_token|"
    r"access_key|secret_key|api_key)$",
    re.I,
)
SECRET_TEXT = [
    re.compile(r"AKIA[0-9A-Z]{16}"),
    re.compile(r"sk-[A-Za-z0-9_-]{20,}"),
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    re.compile(r"(?i)password\s*=\s*\"[^\"$]+\""),
]


def _walk(value: Any, path: str = ""):
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _walk(item, f"{path}.{key}")
            yield f"{path}.{key}", key, item
    elif isinstance(value, list):
        for item in value:
            yield from _walk(item, path)


def _is_literal_string(value: Any) -> bool:
    return isinstance(value, str) and "${" not in value and value not in ("true", "false")


@pytest.mark.parametrize("path", tf_files(), ids=lambda p: str(p.relative_to(TERRAFORM)))
def test_no_literal_secrets(path: Path) -> None:
    for where, key, value in _walk(load(path)):
        if SECRET_KEY.search(str(key)):
            assert not _is_literal_string(value), f"{path}: {where} is a literal"
    text = path.read_text()
    for pattern in SECRET_TEXT:
        assert not pattern.search(text), f"{path} matches {pattern.pattern}"


def test_no_secret_values_are_managed_by_terraform() -> None:
    # Values set by Terraform end up in its state; operators put them in instead.
    for path in tf_files():
        assert not resources(path, "aws_secretsmanager_secret_version"), path
        assert "random_password" not in path.read_text(), path


def test_example_files_hold_no_secrets() -> None:
    for path in TERRAFORM.rglob("*.example"):
        text = path.read_text()
        for pattern in SECRET_TEXT:
            assert not pattern.search(text), path


# --- Network exposure.


def _world_cidrs(module_dir: Path, body: dict[str, Any]) -> set[str]:
    cidrs: set[str] = set()
    for key in ("cidr_ipv4", "cidr_ipv6", "cidr_blocks", "ipv6_cidr_blocks"):
        value = body.get(key)
        values = value if isinstance(value, list) else [value]
        for item in values:
            if item == "${each.value}" or item == "${each.key}":
                # for_each over a variable: judge by the variable's default.
                match = re.search(r"var\.(\w+)", str(body.get("for_each", "")))
                assert match, f"unresolvable for_each in {module_dir.name}"
                default = variable_default(module_dir, match.group(1)) or []
                cidrs |= set(default) & WORLD
            elif isinstance(item, str) and item in WORLD:
                cidrs.add(item)
    return cidrs


def _ingress_rules() -> list[tuple[Path, str, dict[str, Any]]]:
    rules = []
    for module in MODULE_NAMES:
        main = MODULES / module / "main.tf"
        for _, name, body in resources(main, "aws_vpc_security_group_ingress_rule"):
            rules.append((MODULES / module, name, body))
        for _, name, body in resources(main, "aws_security_group_rule"):
            if body.get("type") == "ingress":
                rules.append((MODULES / module, name, body))
        for _, name, body in resources(main, "aws_security_group"):
            for ingress in body.get("ingress", []):
                rules.append((MODULES / module, name, ingress))
    return rules


def test_only_the_alb_https_port_is_open_to_the_world() -> None:
    open_rules = [
        (module_dir.name, name, body)
        for module_dir, name, body in _ingress_rules()
        if _world_cidrs(module_dir, body)
    ]
    assert open_rules, "expected the ALB's HTTPS rule to be found (is the test looking?)"
    for module, name, body in open_rules:
        assert module == "ecs_service", f"{module}.{name} is open to the world"
        assert "aws_security_group.alb" in str(body.get("security_group_id")), name
        assert int(body["from_port"]) == int(body["to_port"]) == 443, name


# --- The shape the issue asks for, asserted where a typo would hurt.


def _one(path: Path, rtype: str) -> dict[str, Any]:
    [(_, _, body)] = resources(path, rtype)
    return body


def test_target_group_speaks_grpc_with_the_grpc_health_check() -> None:
    tg = _one(MODULES / "ecs_service" / "main.tf", "aws_lb_target_group")
    assert tg["protocol_version"] == "GRPC"
    [check] = tg["health_check"]
    assert check["path"] == "/grpc.health.v1.Health/Check"
    assert check["matcher"] == "0"
    listener = _one(MODULES / "ecs_service" / "main.tf", "aws_lb_listener")
    assert listener["protocol"] == "HTTPS"
    assert listener["certificate_arn"] == "${var.certificate_arn}"


def test_service_rolls_back_by_itself_and_scales_on_cpu_and_requests() -> None:
    main = MODULES / "ecs_service" / "main.tf"
    service = _one(main, "aws_ecs_service")
    [breaker] = service["deployment_circuit_breaker"]
    assert breaker["enable"] is True
    assert breaker["rollback"] is True
    metrics = {
        body["target_tracking_scaling_policy_configuration"][0]["predefined_metric_specification"][
            0
        ]["predefined_metric_type"]
        for _, _, body in resources(main, "aws_appautoscaling_policy")
    }
    assert metrics == {"ECSServiceAverageCPUUtilization", "ALBRequestCountPerTarget"}


def test_task_definition_listens_on_all_interfaces_and_reads_secrets_at_run_time() -> None:
    text = (MODULES / "ecs_service" / "main.tf").read_text()
    assert 'OMC_GRPC_ADDRESS                = "0.0.0.0:' in text
    for name in ("DATABASE_PASSWORD", "API_KEY_PEPPER", "OPENAI_API_KEY", "CRYPTOPANIC_API_KEY"):
        assert f"OMC_SECRETS_{name}" in text
    assert "sslmode=require" in text
    assert '"omc", "health"' in text


def test_database_is_postgres_16_encrypted_private_with_a_managed_password() -> None:
    db = _one(MODULES / "rds" / "main.tf", "aws_db_instance")
    assert db["engine"] == "postgres"
    assert variable_default(MODULES / "rds", "engine_version") == "16"
    assert db["storage_encrypted"] is True
    assert db["kms_key_id"] == "${var.kms_key_arn}"
    assert db["manage_master_user_password"] is True
    assert db["publicly_accessible"] is False
    assert "password" not in {k for k in db if k != "manage_master_user_password"}


def test_production_is_multi_az_and_protected() -> None:
    # checkov evaluates modules with their defaults; this holds production to it.
    prod = module_call("production", "database")
    assert prod["multi_az"] is True
    assert prod["deletion_protection"] is True
    assert int(prod["backup_retention_days"]) >= int(
        module_call("staging", "database")["backup_retention_days"]
    )


def test_ecr_tags_are_immutable_and_scanned() -> None:
    repo = _one(MODULES / "ecr" / "main.tf", "aws_ecr_repository")
    assert repo["image_tag_mutability"] == "IMMUTABLE"
    assert repo["image_scanning_configuration"][0]["scan_on_push"] is True
    assert resources(MODULES / "ecr" / "main.tf", "aws_ecr_lifecycle_policy")


def test_kms_key_rotates() -> None:
    key = _one(MODULES / "secrets" / "main.tf", "aws_kms_key")
    assert key["enable_key_rotation"] is True


def test_network_has_the_endpoints_the_tasks_need() -> None:
    main = MODULES / "network" / "main.tf"
    endpoints = load(main)["locals"][0]["interface_endpoints"]
    for service in ("ecr.api", "ecr.dkr", "secretsmanager", "logs"):
        assert service in str(endpoints)
    gateway = [b for _, n, b in resources(main, "aws_vpc_endpoint") if n == "s3"]
    assert gateway
    assert gateway[0]["vpc_endpoint_type"] == "Gateway"


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_deploy_tool_names_match_terraform(environment: str) -> None:
    main = load(ENV_DIR / environment / "main.tf")
    locals_ = main["locals"][0]
    assert locals_["environment"] == environment
    assert locals_["name"] == "omc-${local.environment}"
    assert default_name(environment) == f"omc-{environment}"
    for module in ("registry", "service"):
        assert module_call(environment, module)["name"] == "${local.name}"
    # The container omc-deploy updates by default.
    assert 'container_name = "omc"' in (MODULES / "ecs_service" / "main.tf").read_text()

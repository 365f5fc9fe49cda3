"""The scope table covers every RPC of every omc.v1 service, and nothing else.

Services are discovered from the generated descriptors, so a service or RPC added later
is checked without touching this test."""

from __future__ import annotations

import importlib
import pkgutil

import pytest

import omc.v1
from omc.adapters.grpc.scopes import OPEN_SERVICES, RPC_SCOPES, is_open
from omc.domain.access import Scope


def _omc_methods() -> set[str]:
    methods: set[str] = set()
    for module_info in pkgutil.iter_modules(omc.v1.__path__):
        if not module_info.name.endswith("_pb2"):
            continue
        module = importlib.import_module(f"omc.v1.{module_info.name}")
        for service in module.DESCRIPTOR.services_by_name.values():
            methods.update(f"/{service.full_name}/{method.name}" for method in service.methods)
    return methods


def test_the_services_are_discovered() -> None:
    methods = _omc_methods()

    assert "/omc.v1.LedgerService/GetLatestPrices" in methods
    assert "/omc.v1.AdminService/CreateApiKey" in methods


def test_every_rpc_has_a_scope() -> None:
    missing = sorted(_omc_methods() - RPC_SCOPES.keys())

    assert missing == [], f"add these RPCs to omc.adapters.grpc.scopes.RPC_SCOPES: {missing}"


def test_the_table_names_no_rpc_that_does_not_exist() -> None:
    stale = sorted(RPC_SCOPES.keys() - _omc_methods())

    assert stale == [], f"remove these from RPC_SCOPES (no such RPC): {stale}"


def test_no_omc_rpc_is_open() -> None:
    assert not any(is_open(method) for method in _omc_methods())
    assert all(not name.startswith("omc.") for name in OPEN_SERVICES)


def test_key_management_needs_admin() -> None:
    admin_rpcs = {m: s for m, s in RPC_SCOPES.items() if m.startswith("/omc.v1.AdminService/")}

    assert admin_rpcs
    assert set(admin_rpcs.values()) == {Scope.ADMIN}


@pytest.mark.parametrize(
    ("method", "open_"),
    [
        ("/grpc.health.v1.Health/Check", True),
        ("/grpc.health.v1.Health/Watch", True),
        ("/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo", True),
        ("/grpc.reflection.v1.ServerReflection/ServerReflectionInfo", True),
        ("/omc.v1.LedgerService/GetLatestPrices", False),
        ("/grpc.health.v1.HealthX/Check", False),
    ],
)
def test_only_health_and_reflection_are_open(method: str, open_: bool) -> None:
    assert is_open(method) is open_

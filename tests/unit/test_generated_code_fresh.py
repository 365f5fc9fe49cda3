"""The committed stubs in src/omc/v1 must be what proto/ generates today.

Regenerates into a temporary directory with the same protoc invocation as
scripts/gen-proto and compares file by file. On failure: run scripts/gen-proto.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from grpc_tools import protoc

ROOT = Path(__file__).resolve().parents[2]
PROTO_ROOT = ROOT / "proto"
COMMITTED = ROOT / "src" / "omc" / "v1"
GENERATED_SUFFIXES = ("_pb2.py", "_pb2.pyi", "_pb2_grpc.py")


def _stubs(directory: Path) -> dict[str, str]:
    return {
        path.name: path.read_text()
        for path in sorted(directory.iterdir())
        if path.name.endswith(GENERATED_SUFFIXES)
    }


def test_generated_stubs_match_the_proto_files(tmp_path: Path) -> None:
    protos = sorted(str(p.relative_to(PROTO_ROOT)) for p in PROTO_ROOT.rglob("omc/v1/*.proto"))
    assert protos, "no .proto files found under proto/omc/v1"
    well_known = Path(protoc.__file__).parent / "_proto"

    exit_code = protoc.main(
        [
            "grpc_tools.protoc",
            f"-I{PROTO_ROOT}",
            f"-I{well_known}",
            f"--python_out={tmp_path}",
            f"--pyi_out={tmp_path}",
            f"--grpc_python_out={tmp_path}",
            *(str(PROTO_ROOT / p) for p in protos),
        ]
    )

    assert exit_code == 0, "protoc failed; run scripts/gen-proto to see why"
    fresh = _stubs(tmp_path / "omc" / "v1")
    committed = _stubs(COMMITTED)
    assert set(committed) == set(fresh), "stub files differ: run scripts/gen-proto"
    stale = [name for name in fresh if fresh[name] != committed[name]]
    if stale:
        pytest.fail(f"stale generated code in src/omc/v1: {stale}; run scripts/gen-proto")

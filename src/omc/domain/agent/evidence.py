"""Evidence: every row a tool returns carries a stable id and the data's as-of time."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any
from urllib.parse import quote, unquote

Scalar = str | int | Decimal | bool | None


@dataclass(frozen=True, slots=True)
class EvidenceId:
    """(ledger, record type, natural key): the same record always has the same id, so a
    citation in one run can be compared with another run's."""

    ledger: str
    record_type: str
    key: tuple[str, ...]

    def __str__(self) -> str:
        # Key parts may hold "/" (external ids, URLs): quote them so the id splits back.
        parts = "/".join(quote(part, safe="") for part in self.key)
        return f"{self.ledger}/{self.record_type}/{parts}"

    @classmethod
    def parse(cls, text: str) -> EvidenceId:
        ledger, record_type, rest = text.split("/", 2)
        return cls(ledger, record_type, tuple(unquote(part) for part in rest.split("/")))


@dataclass(frozen=True, slots=True)
class EvidenceRow:
    """One fact a tool returned: its id, when the data was true, and its fields."""

    evidence_id: str
    as_of: datetime
    fields: Mapping[str, Scalar] = field(default_factory=dict)

    def numbers(self) -> dict[str, Decimal]:
        """The numeric fields, the values a cited number may be checked against."""
        found: dict[str, Decimal] = {}
        for name, value in self.fields.items():
            if isinstance(value, bool) or value is None:
                continue
            if isinstance(value, int | Decimal):
                found[name] = Decimal(value)
            elif isinstance(value, str):
                try:
                    number = Decimal(value)
                except ArithmeticError:
                    continue
                if number.is_finite() and _looks_numeric(value):
                    found[name] = number
        return found

    def to_json(self, ref: str) -> dict[str, Any]:
        body: dict[str, Any] = {
            "ref": ref,
            "evidence_id": self.evidence_id,
            "as_of": self.as_of.isoformat(),
        }
        for name, value in self.fields.items():
            body[name] = str(value) if isinstance(value, Decimal) else value
        return body


def _looks_numeric(text: str) -> bool:
    stripped = text.strip()
    return bool(stripped) and stripped.lstrip("+-").replace(".", "", 1).isdigit()


def ref_for(evidence_id: str) -> str:
    """The short handle a writer cites ("E3fa9c1"): derived from the id alone, so every
    analyst and every rerun give the same record the same ref."""
    return "E" + hashlib.sha256(evidence_id.encode()).hexdigest()[:7]


def row_from_json(body: dict[str, Any]) -> EvidenceRow:
    fields = {k: v for k, v in body.items() if k not in {"ref", "evidence_id", "as_of"}}
    return EvidenceRow(body["evidence_id"], datetime.fromisoformat(body["as_of"]), fields)

"""Rule violations: every broken rule of a record is reported, not just the first."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class FieldViolation:
    """One broken rule: `field` is a dotted path (e.g. `ticks[3].bid`)."""

    field: str
    description: str

    def under(self, prefix: str) -> FieldViolation:
        return FieldViolation(f"{prefix}.{self.field}" if self.field else prefix, self.description)


class ValidationError(Exception):
    """Input broke domain rules; carries every violation found."""

    def __init__(self, violations: list[FieldViolation] | tuple[FieldViolation, ...]) -> None:
        self.violations = tuple(violations)
        super().__init__("; ".join(f"{v.field}: {v.description}" for v in self.violations))

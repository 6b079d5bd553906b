"""What a CRM must offer the sync: a small interface, one module per CRM.

A destination knows its targets (a Bitrix24 portal per branch; one amoCRM
account), describes each entity type's fields, creates the sync's own fields, and
sends updates in batches, saying per record whether the CRM confirmed it. Adding a
CRM (HubSpot, say) is a module implementing `Destination` and a line in
`DESTINATIONS`; the diff, the state, the audit and the command stay as they are.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from reverse_etl.mapping import CrmField, FieldMapping


@dataclass(frozen=True)
class RecordUpdate:
    """What one record should carry: `values` overwrite (None clears the field);
    `fills` are written only if the record still has no value when sent."""

    entity_type: str
    crm_id: int
    values: Mapping[str, Any]
    fills: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RecordResult:
    crm_id: int
    confirmed: bool
    error: str | None = None


class DestinationError(RuntimeError):
    """The CRM refuses the sync as a whole (a wrong token, a blocked account):
    stop everything, going on would not help or would make it worse."""


class TargetUnavailable(RuntimeError):
    """One target (a portal) kept failing after retries: its records not sent this
    run are tried again next run; the other targets go on."""


class Destination(Protocol):
    name: str
    # records per call the CRM accepts
    batch_size: int

    def targets(self) -> Sequence[str]:
        """The portals or accounts records are written to, by the mart's `branch`."""
        ...

    def fields(self, target: str, entity_type: str) -> Mapping[str, CrmField]:
        """The entity type's fields in the target, by name."""
        ...

    def create_field(self, target: str, entity_type: str, mapped: FieldMapping) -> None:
        """Create one of the sync's own fields; nothing if it exists already."""
        ...

    def prepare(self, target: str, updates: Sequence[RecordUpdate]) -> None:
        """The next updates for the target (several batches of them) before any is
        sent: a destination that must read records before writing them (a fill of
        an empty field) may read them all in one call here instead of one call a
        batch; one that needs nothing does nothing."""
        ...

    def send(self, target: str, updates: Sequence[RecordUpdate]) -> list[RecordResult]:
        """Write up to `batch_size` records of one entity type, one result each."""
        ...

"""Bitrix24: one portal per branch, `batch` calls of up to 50 updates.

What bites, and what this does about it:
- in `crm.contact.update` a PHONE or EMAIL item without its `ID` is *added* as a
  new value, so the golden phone is only ever written to a record that has none,
  and that is read back from the portal shortly before the write (`crm.*.list`
  by ID: the next 20 batches' records in one call, used within
  `MAX_READ_AGE_SECONDS`; read again before any repeated write), so a write
  repeated after a crash or a lost answer cannot add it twice;
- unknown fields are ignored without an error, so the mapping is checked against
  `crm.*.fields` first and the sync's own fields created with `userfield.add`;
- a batch answers per command: `result` for those applied, `result_error` for
  the others, so one bad record never fails its 49 neighbours;
- the portal's leaky bucket (50, draining 2 a second) is mirrored client-side,
  503 QUERY_LIMIT_EXCEEDED, 5xx, timeouts and dropped connections are retried
  with backoff and jitter, and 429 OPERATION_TIME_LIMIT pauses until the portal
  says the method's window resets (pipelines.crm.helpers.Bitrix24Client).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from itertools import groupby
from typing import Any

from customer360.settings import CrmPortal
from pipelines.crm.helpers import (
    Bitrix24Client,
    CrmAuthError,
    CrmRequestError,
    php_query,
)
from reverse_etl.destinations import (
    DestinationError,
    RecordResult,
    RecordUpdate,
    TargetUnavailable,
)
from reverse_etl.mapping import CrmField, FieldMapping
from reverse_etl.pacing import BucketLimit, LeakyBucket

log = logging.getLogger(__name__)

BATCH_SIZE = 50  # Bitrix24 refuses a batch of more commands
# Bitrix24's field types (crm.*.fields `type`) in the mapping's words
_TYPES = {
    "string": "string",
    "char": "string",
    "text": "string",
    "enumeration": "string",
    "double": "double",
    "money": "double",
    "integer": "integer",
    "boolean": "boolean",
    "date": "datetime",
    "datetime": "datetime",
    "crm_multifield": "multi",
}
# and the mapping's types as userfield.add's USER_TYPE_ID
_USER_TYPE_ID = {
    "string": "string",
    "double": "double",
    "integer": "integer",
    "boolean": "boolean",
    "datetime": "datetime",
}
_PREFIX = "UF_CRM_"
# per-command answers that mean "not now", not "never": paused, then sent again
_PAUSING_ERRORS = {"OPERATION_TIME_LIMIT", "QUERY_LIMIT_EXCEEDED"}
# at most this long in all waiting for a blocked method, then the portal is left
# for the next run (Bitrix24's operating window is ten minutes)
MAX_PAUSE_SECONDS = 660.0
_MULTI_FIELD_TYPE = {"PHONE": "WORK", "EMAIL": "WORK"}
# a record read for a fill is trusted this long; older, it is read again. Reading
# the next batches' records in one call keeps the sync at the portal's 100 updates
# a second (one read call a batch would halve it); the price is that a value a
# manager types in these seconds may sit beside the golden one
MAX_READ_AGE_SECONDS = 30.0
# IDs per crm.*.list command: Bitrix24 answers 50 records a page
_LIST_PAGE = 50


class Bitrix24Destination:
    name = "bitrix24"
    batch_size = BATCH_SIZE

    def __init__(
        self,
        portals: Sequence[CrmPortal],
        limit: BucketLimit | None = None,
        max_retries: int = 5,
        backoff_seconds: float = 0.5,
        timeout: float = 60.0,
    ) -> None:
        self._clients: dict[str, Bitrix24Client] = {}
        # (target, entity type, crm id) -> (when read, the record or None if gone)
        self._read: dict[tuple[str, str, int], tuple[float, dict | None]] = {}
        for portal in portals:
            bucket = LeakyBucket(limit or BucketLimit())
            self._clients[portal.branch] = Bitrix24Client(
                portal,
                max_retries=max_retries,
                backoff_seconds=backoff_seconds,
                timeout=timeout,
                pace=bucket.acquire,
            )

    def targets(self) -> Sequence[str]:
        return list(self._clients)

    @property
    def requests_sent(self) -> int:
        return sum(client.requests_sent for client in self._clients.values())

    def _call(
        self, target: str, method: str, params: Mapping[str, Any], retry: bool = True
    ) -> Any:
        client = self._clients[target]
        retries = client.max_retries
        if not retry:
            client.max_retries = 0
        try:
            return client.call(method, params)["result"]
        except CrmAuthError as error:
            raise DestinationError(str(error)) from error
        except CrmRequestError as error:
            raise TargetUnavailable(str(error)) from error
        finally:
            client.max_retries = retries

    def fields(self, target: str, entity_type: str) -> Mapping[str, CrmField]:
        described = self._call(target, f"crm.{entity_type}.fields", {})
        return {
            name: CrmField(
                name=name,
                type=_TYPES.get(str(spec.get("type")), str(spec.get("type"))),
                read_only=bool(spec.get("isReadOnly")),
            )
            for name, spec in described.items()
        }

    def create_field(self, target: str, entity_type: str, mapped: FieldMapping) -> None:
        if not mapped.field.startswith(_PREFIX):
            raise DestinationError(
                f"{mapped.where}: {mapped.field} cannot be created: the sync's own"
                f" Bitrix24 fields are named {_PREFIX}..."
            )
        if mapped.field in self.fields(target, entity_type):
            return  # made by an earlier run, or by hand: never twice
        self._call(
            target,
            f"crm.{entity_type}.userfield.add",
            {
                "fields": {
                    "FIELD_NAME": mapped.field.removeprefix(_PREFIX),
                    "USER_TYPE_ID": _USER_TYPE_ID[mapped.type],
                    "XML_ID": mapped.field,
                    "EDIT_FORM_LABEL": mapped.label,
                    "LIST_COLUMN_LABEL": mapped.label,
                    "MULTIPLE": "N",
                    "MANDATORY": "N",
                }
            },
        )

    def prepare(self, target: str, updates: Sequence[RecordUpdate]) -> None:
        self._read_records(target, [update for update in updates if update.fills])

    def send(self, target: str, updates: Sequence[RecordUpdate]) -> list[RecordResult]:
        if len(updates) > BATCH_SIZE:
            raise ValueError(
                f"at most {BATCH_SIZE} updates a batch, got {len(updates)}"
            )
        if not updates:
            return []
        [entity_type] = {update.entity_type for update in updates}
        results: dict[int, RecordResult] = {}
        pending = list(updates)
        paused = 0.0
        while pending:
            applied, errors = self._send_with_retries(target, entity_type, pending)
            blocked = []
            for update in pending:
                key = f"r{update.crm_id}"
                error = errors.get(key)
                if isinstance(error, dict) and error.get("error") in _PAUSING_ERRORS:
                    blocked.append(update)
                elif error is not None:
                    results[update.crm_id] = RecordResult(
                        update.crm_id, False, _reason(error)
                    )
                elif applied.get(key) in (True, "true", 1):
                    results[update.crm_id] = RecordResult(update.crm_id, True)
                else:
                    results[update.crm_id] = RecordResult(
                        update.crm_id, False, f"no result for {key}: {applied.get(key)}"
                    )
            if blocked and paused >= MAX_PAUSE_SECONDS:
                raise TargetUnavailable(
                    f"{target}: crm.{entity_type}.update still blocked for its"
                    f" operating time after pausing {paused:.0f}s"
                )
            if blocked:
                # the method is blocked (or the bucket full) inside the batch: wait
                # for the portal's window to reset, then send only those again
                pause = self._clients[target].pause_for(f"crm.{entity_type}.update")
                pause = min(pause, max(1.0, 2 * paused) if paused else 1.0)
                log.warning(
                    "%s: %d updates refused for the method's operating time;"
                    " paused %.0fs",
                    target,
                    len(blocked),
                    pause,
                )
                time.sleep(pause)
                paused += pause
            pending = blocked
        return [results[update.crm_id] for update in updates]

    def _send_with_retries(
        self, target: str, entity_type: str, updates: Sequence[RecordUpdate]
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """(applied, errors) by command key, after transport retries."""
        fills = any(update.fills for update in updates)
        failures = 0
        while True:
            try:
                answer = self._send_once(target, entity_type, updates, retry=not fills)
                break
            except TargetUnavailable:
                # a lost answer may hide a phone already added: read back again
                # before each new attempt instead of repeating the same write
                failures += 1
                if not fills or failures > self._clients[target].max_retries:
                    raise
                time.sleep(self._clients[target].backoff(failures))
        return answer.get("result") or {}, answer.get("result_error") or {}

    def _send_once(
        self,
        target: str,
        entity_type: str,
        updates: Sequence[RecordUpdate],
        retry: bool,
    ) -> dict[str, Any]:
        try:
            filled = self._still_empty(target, entity_type, updates)
        finally:
            # a read is used for one write: one repeated after a lost answer or a
            # pause reads the record again
            for update in updates:
                self._read.pop((target, entity_type, update.crm_id), None)
        commands = {
            f"r{update.crm_id}": f"crm.{entity_type}.update?"
            + php_query(
                {
                    "id": update.crm_id,
                    "fields": _fields(update, filled.get(update.crm_id, {})),
                    # a sync is not news: no feed entry per record
                    "params": {"REGISTER_SONET_EVENT": "N"},
                }
            )
            for update in updates
        }
        return self._call(target, "batch", {"halt": 0, "cmd": commands}, retry=retry)

    def _still_empty(
        self, target: str, entity_type: str, updates: Sequence[RecordUpdate]
    ) -> dict[int, dict[str, Any]]:
        """The fills still to write, per record: read back shortly before writing
        (`prepare`, or now), so that a value typed since the last ingest, or
        written by an earlier attempt whose answer was lost, is never added to."""
        wanting = [update for update in updates if update.fills]
        if not wanting:
            return {}
        now = time.monotonic()
        unread = [
            update
            for update in wanting
            if now - self._read.get((target, entity_type, update.crm_id), (-1e9,))[0]
            > MAX_READ_AGE_SECONDS
        ]
        self._read_records(target, unread)
        filled = {}
        for update in wanting:
            _, record = self._read[(target, entity_type, update.crm_id)]
            if record is None:
                continue  # gone: the update itself will say so
            filled[update.crm_id] = {
                field: value
                for field, value in update.fills.items()
                if _is_empty(record.get(field))
            }
        return filled

    def _read_records(self, target: str, updates: Sequence[RecordUpdate]) -> None:
        """Read the fields these updates would fill: `crm.*.list` filtered by ID,
        50 records a command and 50 commands a call."""
        commands: dict[str, str] = {}
        asked: dict[str, tuple[str, list[int]]] = {}
        key = lambda update: update.entity_type  # noqa: E731
        for entity_type, group in groupby(sorted(updates, key=key), key=key):
            group = list(group)
            select = sorted({"ID", *(f for update in group for f in update.fills)})
            for start in range(0, len(group), _LIST_PAGE):
                ids = [update.crm_id for update in group[start : start + _LIST_PAGE]]
                name = f"l{len(commands)}"
                commands[name] = f"crm.{entity_type}.list?" + php_query(
                    {"filter": {"@ID": ids}, "select": select}
                )
                asked[name] = (entity_type, ids)
        names = list(commands)
        for start in range(0, len(names), BATCH_SIZE):
            chunk = {name: commands[name] for name in names[start : start + BATCH_SIZE]}
            answer = self._call(target, "batch", {"halt": 0, "cmd": chunk})
            results = answer.get("result") or {}
            now = time.monotonic()
            for name in chunk:
                entity_type, ids = asked[name]
                found = {
                    int(record["ID"]): record
                    for record in results.get(name) or []
                    if isinstance(record, dict) and "ID" in record
                }
                for crm_id in ids:
                    self._read[(target, entity_type, crm_id)] = (
                        now,
                        found.get(crm_id),
                    )


def _fields(update: RecordUpdate, fills: Mapping[str, Any]) -> dict[str, Any]:
    fields: dict[str, Any] = {
        name: "" if value is None else value for name, value in update.values.items()
    }
    for name, value in fills.items():
        if name in _MULTI_FIELD_TYPE:
            # no ID: added as the record's first value (it had none, just read)
            fields[name] = [{"VALUE": value, "VALUE_TYPE": _MULTI_FIELD_TYPE[name]}]
        else:
            fields[name] = value
    return fields


def _is_empty(value: Any) -> bool:
    if isinstance(value, list):
        return not any(
            isinstance(item, dict) and str(item.get("VALUE") or "").strip()
            for item in value
        )
    return value is None or str(value).strip() == ""


def _reason(error: Any) -> str:
    if isinstance(error, dict):
        code = error.get("error", "")
        description = error.get("error_description", "")
        return f"{code}: {description}".strip(": ") or str(error)
    return str(error)

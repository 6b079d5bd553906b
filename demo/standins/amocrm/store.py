"""The amoCRM stand-in's account: one SQLite file with its contacts, companies,
custom fields, and a journal of every change a PATCH applied."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from demo.standins.amocrm.fields import ENTITIES, STANDARD_FIELDS, StandardField
from demo.standins.shared import UpsertCounts

ACCOUNT_ID = 31000001
USER_ID = 1  # the user the long-lived token belongs to
# ids from separate ranges, so that a field id passed as an enum id (or the other
# way round) is caught instead of matching by accident
FIRST_FIELD_ID = 700001
FIRST_ENUM_ID = 900001
DEFAULT_SORT = 500

_SCHEMA = """
create table if not exists records (
    entity text not null,
    id integer not null,
    updated_at integer not null,
    data text not null,
    primary key (entity, id)
);
create index if not exists records_updated on records (entity, updated_at, id);
create table if not exists custom_fields (
    id integer primary key,
    entity text not null,
    code text,
    sort integer not null,
    data text not null
);
create index if not exists custom_fields_code on custom_fields (entity, code);
-- every change a PATCH applied, one row per entity: kept across restarts so that
-- a test can prove a retried sync wrote nothing twice
create table if not exists patches (
    seq integer primary key autoincrement,
    entity text not null,
    entity_id integer not null,
    request_id text not null,
    fields text not null,
    updated_at integer not null,
    at real not null
);
create index if not exists patches_entity on patches (entity, entity_id);
create table if not exists meta (key text primary key, value text not null);
"""


@dataclass(frozen=True)
class AppliedPatch:
    """One entity's change as a PATCH carried it out."""

    seq: int
    entity: str
    entity_id: int
    request_id: str
    fields: dict[str, Any]  # the entity's part of the request, without id/request_id
    updated_at: int
    at: float  # wall-clock seconds since the epoch


def check_entity(entity: str) -> str:
    if entity not in ENTITIES:
        raise ValueError(f"unknown entity {entity!r}; expected one of {ENTITIES}")
    return entity


class AccountStore:
    """One amoCRM account's data; safe to share between the server's threads.

    Callers that read, decide and write (a PATCH validates against the stored
    records, then writes them) hold ``lock`` around the whole step.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.lock = threading.RLock()
        self._db = sqlite3.connect(
            self.path, check_same_thread=False, isolation_level=None
        )
        self._db.execute("pragma journal_mode=wal")
        self._db.execute("pragma synchronous=normal")
        with self.lock:
            self._db.executescript(_SCHEMA)
            self._ensure_standard_fields()

    # -- housekeeping --------------------------------------------------------

    def close(self) -> None:
        with self.lock:
            self._db.close()

    def reset(self) -> None:
        """Forget every record, custom field and journal row (``--reseed``); the
        standard fields come back."""
        with self.lock, self._transaction():
            for table in ("records", "custom_fields", "patches", "meta"):
                self._db.execute(f"delete from {table}")
        with self.lock:
            self._ensure_standard_fields()

    @staticmethod
    def now() -> int:
        return int(time.time())

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        self._db.execute("begin")
        try:
            yield
        except BaseException:
            self._db.execute("rollback")
            raise
        self._db.execute("commit")

    def _next(self, key: str, first: int, count: int = 1) -> int:
        """Reserve ``count`` ids of a sequence kept in ``meta``; the first one."""
        row = self._db.execute(
            "select value from meta where key = ?", (key,)
        ).fetchone()
        start = int(row[0]) if row else first
        self._db.execute(
            "insert into meta (key, value) values (?, ?) "
            "on conflict (key) do update set value = excluded.value",
            (key, str(start + count)),
        )
        return start

    # -- custom fields -------------------------------------------------------

    def _ensure_standard_fields(self) -> None:
        for entity, fields in STANDARD_FIELDS.items():
            for standard in fields:
                if self.field_by_code(entity, standard.code) is None:
                    self._create_standard_field(entity, standard)

    def _create_standard_field(self, entity: str, standard: StandardField) -> None:
        self.create_fields(
            entity,
            [
                {
                    "name": standard.name,
                    "type": standard.type,
                    "code": standard.code,
                    "enums": [{"value": code} for code in standard.enums] or None,
                }
            ],
            predefined=True,
        )

    def create_fields(
        self,
        entity: str,
        specs: Sequence[Mapping[str, Any]],
        predefined: bool = False,
    ) -> list[dict[str, Any]]:
        """Create fields from already validated specs (name, type, code, sort,
        is_api_only, enums); returns them as amoCRM describes a field."""
        check_entity(entity)
        created = []
        with self.lock, self._transaction():
            for spec in specs:
                field_id = self._next("field_seq", FIRST_FIELD_ID)
                enums = None
                if spec.get("enums"):
                    first = self._next("enum_seq", FIRST_ENUM_ID, len(spec["enums"]))
                    enums = [
                        {
                            "id": first + offset,
                            "value": str(item["value"]),
                            "sort": int(item.get("sort") or (offset + 1) * 2),
                        }
                        for offset, item in enumerate(spec["enums"])
                    ]
                field = {
                    "id": field_id,
                    "name": str(spec["name"]),
                    "type": spec["type"],
                    "account_id": ACCOUNT_ID,
                    "code": spec.get("code") or None,
                    "sort": int(spec.get("sort") or DEFAULT_SORT),
                    "is_api_only": bool(spec.get("is_api_only", False)),
                    "enums": enums,
                    "group_id": None,
                    "required_statuses": [],
                    "is_deletable": not predefined,
                    "is_predefined": predefined,
                    "entity_type": entity,
                    "remind": None,
                    "tracking_callback": None,
                    "hidden_statuses": [],
                    "chained_lists": None,
                    "search_in": None,
                    "currency": None,
                }
                self._db.execute(
                    "insert into custom_fields (id, entity, code, sort, data) "
                    "values (?, ?, ?, ?, ?)",
                    (field_id, entity, field["code"], field["sort"], json.dumps(field)),
                )
                created.append(field)
        return created

    def fields(self, entity: str) -> list[dict[str, Any]]:
        """The entity's fields in amoCRM's order: by sort, then id."""
        check_entity(entity)
        with self.lock:
            rows = self._db.execute(
                "select data from custom_fields where entity = ? order by sort, id",
                (entity,),
            ).fetchall()
        return [json.loads(data) for (data,) in rows]

    def field(self, entity: str, field_id: Any) -> dict[str, Any] | None:
        with self.lock:
            row = self._db.execute(
                "select data from custom_fields where entity = ? and id = ?",
                (entity, field_id),
            ).fetchone()
        return json.loads(row[0]) if row else None

    def field_by_code(self, entity: str, code: str) -> dict[str, Any] | None:
        with self.lock:
            row = self._db.execute(
                "select data from custom_fields where entity = ? and code = ?",
                (entity, code),
            ).fetchone()
        return json.loads(row[0]) if row else None

    def ensure_field(
        self, entity: str, code: str, name: str | None = None, type_: str = "text"
    ) -> dict[str, Any]:
        """The field with this code, created as a text field when missing (seeding)."""
        with self.lock:
            return (
                self.field_by_code(entity, code)
                or self.create_fields(
                    entity, [{"name": name or code, "type": type_, "code": code}]
                )[0]
            )

    # -- records -------------------------------------------------------------

    def count(self, entity: str) -> int:
        with self.lock:
            return self._db.execute(
                "select count(*) from records where entity = ?", (check_entity(entity),)
            ).fetchone()[0]

    def get(self, entity: str, entity_id: Any) -> dict[str, Any] | None:
        """The stored record (custom field values as ``field_id`` + ``values``)."""
        try:
            key = int(entity_id)
        except (TypeError, ValueError):
            return None
        with self.lock:
            row = self._db.execute(
                "select data from records where entity = ? and id = ?",
                (check_entity(entity), key),
            ).fetchone()
        return json.loads(row[0]) if row else None

    def list(
        self,
        entity: str,
        ids: Sequence[int] | None = None,
        updated_from: int | None = None,
        updated_to: int | None = None,
        order: tuple[str, str] = ("id", "asc"),
        offset: int = 0,
        limit: int = 50,
    ) -> list[dict[str, Any]]:
        """One page of records; ``order`` is ``(id|updated_at, asc|desc)``."""
        clauses, params = ["entity = ?"], [check_entity(entity)]
        if ids is not None:
            clauses.append(f"id in ({', '.join('?' for _ in ids) or 'null'})")
            params.extend(ids)
        if updated_from is not None:
            clauses.append("updated_at >= ?")
            params.append(updated_from)
        if updated_to is not None:
            clauses.append("updated_at <= ?")
            params.append(updated_to)
        column, direction = order
        if column not in ("id", "updated_at") or direction not in ("asc", "desc"):
            raise ValueError(f"cannot order by {order!r}")
        # id breaks ties, so that paging never repeats or skips a record
        tail = "" if column == "id" else f", id {direction}"
        with self.lock:
            rows = self._db.execute(
                f"select data from records where {' and '.join(clauses)} "
                f"order by {column} {direction}{tail} limit ? offset ?",
                (*params, limit, max(offset, 0)),
            ).fetchall()
        return [json.loads(data) for (data,) in rows]

    def upsert(self, entity: str, records: Sequence[Mapping[str, Any]]) -> UpsertCounts:
        """Store records by id; a stored one is replaced only by a newer updated_at,
        so re-seeding acts like the CRM receiving edits, never undoing API writes."""
        check_entity(entity)
        counts = UpsertCounts()
        with self.lock, self._transaction():
            for record in records:
                stored = self._db.execute(
                    "select updated_at from records where entity = ? and id = ?",
                    (entity, int(record["id"])),
                ).fetchone()
                if stored is not None and stored[0] >= int(record["updated_at"]):
                    counts.kept += 1
                    continue
                self._write(entity, record)
                if stored is None:
                    counts.inserted += 1
                else:
                    counts.replaced += 1
        return counts

    def _write(self, entity: str, record: Mapping[str, Any]) -> None:
        self._db.execute(
            "insert into records (entity, id, updated_at, data) values (?, ?, ?, ?) "
            "on conflict (entity, id) do update set updated_at = excluded.updated_at, "
            "data = excluded.data",
            (
                entity,
                int(record["id"]),
                int(record["updated_at"]),
                json.dumps(record, ensure_ascii=False),
            ),
        )

    def apply_patches(
        self,
        entity: str,
        changes: Sequence[tuple[dict[str, Any], str, Mapping[str, Any]]],
    ) -> None:
        """Write the new records of one PATCH request and journal each change, all
        or nothing. ``changes``: (new record, request_id, the entity's request part).
        """
        check_entity(entity)
        at = time.time()
        with self.lock, self._transaction():
            for record, request_id, fields in changes:
                self._write(entity, record)
                self._db.execute(
                    "insert into patches (entity, entity_id, request_id, fields, "
                    "updated_at, at) values (?, ?, ?, ?, ?, ?)",
                    (
                        entity,
                        int(record["id"]),
                        request_id,
                        json.dumps(fields, ensure_ascii=False),
                        int(record["updated_at"]),
                        at,
                    ),
                )

    # -- the journal ---------------------------------------------------------

    def patches(
        self, entity: str | None = None, entity_id: int | None = None
    ) -> list[AppliedPatch]:
        """Every change PATCH requests applied, oldest first (optionally one
        entity's, or one record's)."""
        clauses, params = ["1 = 1"], []
        if entity is not None:
            clauses.append("entity = ?")
            params.append(check_entity(entity))
        if entity_id is not None:
            clauses.append("entity_id = ?")
            params.append(int(entity_id))
        with self.lock:
            rows = self._db.execute(
                "select seq, entity, entity_id, request_id, fields, updated_at, at "
                f"from patches where {' and '.join(clauses)} order by seq",
                params,
            ).fetchall()
        return [
            AppliedPatch(seq, ent, eid, rid, json.loads(fields), upd, at)
            for seq, ent, eid, rid, fields, upd, at in rows
        ]

    def patch_counts(self, entity: str) -> dict[int, int]:
        """Record id → how many PATCHes changed it: a sync that retried correctly
        shows 1 for each record it meant to change once."""
        with self.lock:
            rows = self._db.execute(
                "select entity_id, count(*) from patches where entity = ? "
                "group by entity_id order by entity_id",
                (check_entity(entity),),
            ).fetchall()
        return dict(rows)

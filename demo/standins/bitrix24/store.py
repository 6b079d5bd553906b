"""The stand-in's records: one SQLite file per portal, with filterable columns."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import re
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from demo.standins.bitrix24.entities import ENTITIES, Entity
from demo.standins.bitrix24.userfields import (
    RefusedByPortal,
    new_definition,
    seeded_definition,
    stored_value,
)
from demo.standins.shared import UpsertCounts

# Kazakhstan's portals run on +05:00; naive dates in filters are read in this zone
DEFAULT_TZ_OFFSET = "+05:00"

FIELD_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")
_SPACED_OFFSET = re.compile(r"(\d\d:\d\d(?::\d\d)?) (\d\d:?\d\d)$")

# real columns beside the JSON, so that filters and paging on the busy fields use
# indexes instead of parsing every record
_SCHEMA = """
create table if not exists {table} (
    id text primary key,
    id_num integer,
    date_modify text,
    date_modify_ts real,
    date_create_ts real,
    data text not null
);
create index if not exists {table}_id_num on {table} (id_num);
create index if not exists {table}_date_modify_ts on {table} (date_modify_ts, id_num);
"""
_META_SCHEMA = """
create table if not exists user_fields (
    entity text not null, name text not null, primary key (entity, name)
);
create table if not exists meta (key text primary key, value text not null);
create table if not exists update_audit (
    seq integer primary key autoincrement,
    entity text not null,
    record_id text not null,
    fields text not null,
    ignored text not null,
    at real not null
);
create index if not exists update_audit_record on update_audit (entity, record_id);
"""
# a store written before custom fields had definitions knows only their names
_USER_FIELD_COLUMNS = (("id", "integer"), ("definition", "text"))
# what a portal's e-mail check lets through: something@domain.tld
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")
_EMAIL_LABELS = {
    "WORK": "Work e-mail",
    "HOME": "Personal e-mail",
    "MAILING": "Newsletter e-mail",
    "OTHER": "Other e-mail",
}

# Filter operators Bitrix24 understands, longest first so ">=" wins over ">"
_OPERATORS = ("!@", ">=", "<=", "!=", "=", ">", "<", "!", "%", "@")


class FilterError(ValueError):
    """A filter or order the portal cannot apply; answered as a Bitrix24 error."""


@dataclass
class AppliedUpdate:
    """An update the portal accepted: the field names it ignored without a word
    (unknown, read-only, or a custom field nobody defined)."""

    ignored: list[str] = dataclasses.field(default_factory=list)


def parse_tz_offset(offset: str) -> timezone:
    match = re.fullmatch(r"([+-])(\d\d):?(\d\d)", offset)
    if not match:
        raise ValueError(f"time zone offset must look like +05:00, got {offset!r}")
    sign = -1 if match.group(1) == "-" else 1
    delta = timedelta(hours=int(match.group(2)), minutes=int(match.group(3)))
    return timezone(sign * delta)


def to_instant(value: Any, tz: timezone) -> float | None:
    """Seconds since the epoch for a Bitrix24 date, or None when it is not a date.

    Dates are compared as instants because two portals (or a client and a portal)
    may write the same moment with different offsets.
    """
    if not isinstance(value, str) or not value.strip():
        return None
    # an unencoded "+05:00" in a query string arrives as " 05:00"; read it as meant
    text = _SPACED_OFFSET.sub(r"\1+\2", value.strip()).replace("Z", "+00:00")
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=tz)
    return parsed.timestamp()


def to_number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return float(value)
    try:
        return float(str(value).strip())
    except ValueError:
        return None


def _id_num(value: Any) -> int | None:
    number = to_number(value)
    return int(number) if number is not None and number.is_integer() else None


class PortalStore:
    """Records of one portal; safe to share between the server's threads."""

    def __init__(self, path: Path, tz_offset: str = DEFAULT_TZ_OFFSET) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.tz = parse_tz_offset(tz_offset)
        self._lock = threading.RLock()
        self._depth = 0  # open transaction levels: 1 is BEGIN, deeper are savepoints
        self._user_field_cache: dict[str, dict[str, dict[str, Any]]] = {}
        self._db = sqlite3.connect(
            self.path, check_same_thread=False, isolation_level=None
        )
        self._db.execute("pragma journal_mode=wal")
        self._db.execute("pragma synchronous=normal")
        self._db.create_function("b24_instant", 1, self._instant, deterministic=True)
        self._db.create_function("b24_number", 1, to_number, deterministic=True)
        self._create_schema()

    # -- housekeeping --------------------------------------------------------

    def _instant(self, value: Any) -> float | None:
        return to_instant(value, self.tz)

    def _create_schema(self) -> None:
        with self._lock:
            script = _META_SCHEMA + "".join(
                _SCHEMA.format(table=entity.table) for entity in ENTITIES.values()
            )
            self._db.executescript(script)
            columns = {
                row[1] for row in self._db.execute("pragma table_info(user_fields)")
            }
            for name, kind in _USER_FIELD_COLUMNS:
                if name not in columns:
                    self._db.execute(
                        f"alter table user_fields add column {name} {kind}"
                    )
            with self.transaction():
                self._define_named_user_fields()

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """One SQLite transaction for everything inside; nested, a savepoint, so
        that one failing write inside (one command of a batch) undoes only itself."""
        with self._lock:
            level = self._depth
            if level == 0:
                self._db.execute("begin")
            else:
                self._db.execute(f"savepoint level{level}")
            self._depth += 1
            try:
                yield
            except BaseException:
                if level == 0:
                    self._db.execute("rollback")
                else:
                    self._db.execute(f"rollback to level{level}")
                    self._db.execute(f"release level{level}")
                # a definition read inside may have been undone with it
                self._user_field_cache.clear()
                raise
            else:
                if level == 0:
                    self._db.execute("commit")
                else:
                    self._db.execute(f"release level{level}")
            finally:
                self._depth = level

    def reset(self) -> None:
        """Forget every record, custom field and audited update (``--reseed``)."""
        with self.transaction():
            for entity in ENTITIES.values():
                self._db.execute(f"delete from {entity.table}")
            self._db.execute("delete from user_fields")
            self._db.execute("delete from meta")
            self._db.execute("delete from update_audit")
            self._user_field_cache.clear()

    def now(self) -> str:
        """The portal's clock, written the way Bitrix24 writes DATE_MODIFY."""
        return datetime.now(self.tz).replace(microsecond=0).isoformat()

    def count(self, entity: Entity) -> int:
        with self._lock:
            return self._db.execute(f"select count(*) from {entity.table}").fetchone()[
                0
            ]

    def user_fields(self, entity: Entity) -> list[str]:
        """Names of the custom fields defined on the portal, alphabetically."""
        return sorted(self._user_field_definitions(entity))

    def user_field_definitions(self, entity: Entity) -> list[dict[str, Any]]:
        """The custom fields as crm.<entity>.userfield.list knows them, by SORT
        then ID (labels as language maps)."""
        definitions = self._user_field_definitions(entity).values()
        return sorted(
            (json.loads(json.dumps(d)) for d in definitions),
            key=lambda d: (int(d["SORT"]), int(d["ID"])),
        )

    def _user_field_definitions(self, entity: Entity) -> dict[str, dict[str, Any]]:
        with self._lock:
            cached = self._user_field_cache.get(entity.name)
            if cached is None:
                rows = self._db.execute(
                    "select name, definition from user_fields where entity = ? "
                    "order by id",
                    (entity.name,),
                ).fetchall()
                cached = {name: json.loads(text) for name, text in rows if text}
                self._user_field_cache[entity.name] = cached
            return cached

    def add_user_field(self, entity: Entity, fields: Mapping[str, Any]) -> int:
        """Define a custom field as crm.<entity>.userfield.add does; its new ID.

        Raises RefusedByPortal for a missing or bad name or type, and for a name
        the entity already has.
        """
        with self.transaction():
            field_id = self._reserve("user_field_seq", 1)
            definition = new_definition(entity.user_field_entity, field_id, fields)
            name = definition["FIELD_NAME"]
            if name in self._user_field_definitions(entity):
                raise RefusedByPortal(
                    "ERROR_CORE",
                    f"The field {name} for the {entity.user_field_entity} object "
                    "already exists.",
                )
            self._db.execute(
                "insert into user_fields (entity, name, id, definition) "
                "values (?, ?, ?, ?)",
                (entity.name, name, field_id, json.dumps(definition)),
            )
            self._user_field_cache.pop(entity.name, None)
        return field_id

    # -- writing -------------------------------------------------------------

    def _row(self, record: Mapping[str, Any]) -> tuple:
        record_id = str(record.get("ID", "")).strip()
        return (
            record_id,
            _id_num(record_id),
            record.get("DATE_MODIFY"),
            self._instant(record.get("DATE_MODIFY")),
            self._instant(record.get("DATE_CREATE")),
            json.dumps(record, ensure_ascii=False),
        )

    def _remember_user_fields(self, entity: Entity, names: Iterable[str]) -> None:
        """Custom fields that arrive with records (a seed, a direct edit) exist on
        the portal from then on, as plain string fields."""
        known = self._user_field_definitions(entity)
        new = sorted(set(names) - set(known))
        if not new:
            return
        self._db.executemany(
            "insert or ignore into user_fields (entity, name) values (?, ?)",
            [(entity.name, name) for name in new],
        )
        self._define_named_user_fields()

    def _define_named_user_fields(self) -> None:
        """Give every custom field known only by name an ID and a definition."""
        rows = self._db.execute(
            "select entity, name from user_fields where definition is null "
            "order by entity, name"
        ).fetchall()
        if not rows:
            return
        first = self._reserve("user_field_seq", len(rows))
        for offset, (entity_name, name) in enumerate(rows):
            entity = ENTITIES[entity_name]
            definition = seeded_definition(
                entity.user_field_entity, first + offset, name
            )
            self._db.execute(
                "update user_fields set id = ?, definition = ? "
                "where entity = ? and name = ?",
                (first + offset, json.dumps(definition), entity_name, name),
            )
            self._user_field_cache.pop(entity_name, None)

    def _reserve(self, key: str, count: int) -> int:
        """Reserve `count` portal-wide IDs of a sequence kept in `meta`."""
        row = self._db.execute(
            "select value from meta where key = ?", (key,)
        ).fetchone()
        first = int(row[0]) if row else 1
        self._db.execute(
            "insert into meta (key, value) values (?, ?) "
            "on conflict (key) do update set value = excluded.value",
            (key, str(first + count)),
        )
        return first

    def _next_multi_field_id(self, count: int) -> int:
        """Reserve `count` IDs for PHONE/EMAIL values; IDs are portal-wide."""
        return self._reserve("multi_field_seq", count)

    def upsert(
        self, entity: Entity, records: Sequence[Mapping[str, Any]]
    ) -> UpsertCounts:
        """Store records by ID; a stored one is replaced only by a newer DATE_MODIFY.

        That makes seeding repeatable: re-seeding from a generator run that changed
        some records behaves like the CRM receiving those edits, and nothing else.
        """
        counts = UpsertCounts()
        rows = []
        user_fields: set[str] = set()
        top_multi_id = 0
        for record in records:
            if not str(record.get("ID", "")).strip():
                raise ValueError(
                    f"{entity.table}: a record without ID: {record!r:.200}"
                )
            rows.append(self._row(record))
            user_fields.update(k for k in record if k.startswith("UF_"))
            for name in entity.multi_fields:
                for value in record.get(name) or ():
                    if isinstance(value, dict):
                        top_multi_id = max(top_multi_id, _id_num(value.get("ID")) or 0)
        with self.transaction():
            before = self.count(entity)
            cursor = self._db.executemany(
                f"insert into {entity.table} "
                "(id, id_num, date_modify, date_modify_ts, date_create_ts, data) "
                "values (?, ?, ?, ?, ?, ?) on conflict (id) do update set "
                "id_num = excluded.id_num, date_modify = excluded.date_modify, "
                "date_modify_ts = excluded.date_modify_ts, "
                "date_create_ts = excluded.date_create_ts, data = excluded.data "
                f"where coalesce(excluded.date_modify_ts, 0) > "
                f"coalesce({entity.table}.date_modify_ts, 0)",
                rows,
            )
            changed = cursor.rowcount
            after = self.count(entity)
            self._remember_user_fields(entity, user_fields)
            seq = self._db.execute(
                "select value from meta where key = 'multi_field_seq'"
            ).fetchone()
            if not seq or int(seq[0]) <= top_multi_id:
                self._db.execute(
                    "insert or replace into meta (key, value) "
                    "values ('multi_field_seq', ?)",
                    (str(top_multi_id + 1),),
                )
        counts.inserted = after - before
        counts.replaced = changed - counts.inserted
        counts.kept = len(rows) - changed
        return counts

    def add(
        self, entity: Entity, fields: Mapping[str, Any], strict: bool = False
    ) -> int:
        """A new record as crm.<entity>.add makes it; returns its ID. ``strict``
        (the API's add) takes only defined custom fields, as in update."""
        with self.transaction():
            top = self._db.execute(
                f"select max(id_num) from {entity.table}"
            ).fetchone()[0]
            new_id = (top or 0) + 1
            now = self.now()
            # Bitrix24 answers every standard field, empty ones as ""
            record: dict[str, Any] = dict.fromkeys(entity.fields, "")
            record.update(dict.fromkeys(self.user_fields(entity), ""))
            if "HAS_PHONE" in record:
                record.update(HAS_PHONE="N", HAS_EMAIL="N")
            self._apply(entity, record, fields, strict=strict)
            record.update(ID=str(new_id), DATE_CREATE=now, DATE_MODIFY=now)
            self._db.execute(
                f"insert into {entity.table} (id, id_num, date_modify, "
                "date_modify_ts, date_create_ts, data) values (?, ?, ?, ?, ?, ?)",
                self._row(record),
            )
        return new_id

    def update(self, entity: Entity, record_id: Any, fields: Mapping[str, Any]) -> bool:
        """Edit a record directly, as a manager would on the portal; False: no ID.

        Only the passed fields change; a ``UF_CRM_*`` name the portal does not
        know yet becomes a custom field (a manager adding one). Not audited:
        the API's updates go through :meth:`apply_update`.
        """
        with self.transaction():
            record = self._load(entity, record_id)
            if record is None:
                return False
            self._apply(entity, record, fields, strict=False)
            self._save(entity, record)
        return True

    def apply_update(
        self, entity: Entity, record_id: Any, fields: Mapping[str, Any]
    ) -> AppliedUpdate | None:
        """crm.<entity>.update's write: None when there is no such record.

        Like a portal, it ignores unknown and read-only fields and custom fields
        nobody defined (reported in the result, not refused), and raises
        RefusedByPortal for a value the portal rejects (an e-mail that is no
        address, a date that is no date). Every applied update is audited.
        """
        with self.transaction():
            record = self._load(entity, record_id)
            if record is None:
                return None
            ignored = self._apply(entity, record, fields, strict=True)
            self._save(entity, record)
            self._db.execute(
                "insert into update_audit (entity, record_id, fields, ignored, at) "
                "values (?, ?, ?, ?, ?)",
                (
                    entity.name,
                    record["ID"],
                    json.dumps(fields, ensure_ascii=False, default=str),
                    json.dumps(ignored),
                    time.time(),
                ),
            )
        return AppliedUpdate(ignored=ignored)

    def delete(self, entity: Entity, record_id: Any) -> bool:
        """Remove a record, as a manager deleting it on the portal; False: no ID."""
        with self.transaction():
            cursor = self._db.execute(
                f"delete from {entity.table} where id = ?", (str(record_id).strip(),)
            )
        return cursor.rowcount > 0

    def _load(self, entity: Entity, record_id: Any) -> dict[str, Any] | None:
        row = self._db.execute(
            f"select data from {entity.table} where id = ?",
            (str(record_id).strip(),),
        ).fetchone()
        return json.loads(row[0]) if row else None

    def _save(self, entity: Entity, record: dict[str, Any]) -> None:
        record["DATE_MODIFY"] = self.now()
        self._db.execute(
            f"update {entity.table} set id_num = ?, date_modify = ?, "
            "date_modify_ts = ?, date_create_ts = ?, data = ? where id = ?",
            (*self._row(record)[1:], record["ID"]),
        )

    def _apply(
        self,
        entity: Entity,
        record: dict[str, Any],
        fields: Mapping[str, Any],
        strict: bool,
    ) -> list[str]:
        """Write passed fields into a record; returns the names it ignored.

        ``strict`` is the API's way: a custom field must be defined first, and
        e-mail addresses are checked. Otherwise (seeding, direct edits) a new
        ``UF_CRM_*`` name defines a string field.
        """
        definitions = self._user_field_definitions(entity)
        writable = entity.writable
        ignored: list[str] = []
        new_user_fields = []
        for raw_name, value in fields.items():
            name = str(raw_name).upper()
            if name in entity.read_only:
                ignored.append(name)
            elif name in entity.multi_fields:
                if strict and name == "EMAIL":
                    _check_addresses(value)
                record[name] = self._merge_multi_field(record.get(name), value, name)
                if not record[name]:
                    del record[name]
                if name in ("PHONE", "EMAIL"):
                    record["HAS_" + name] = "Y" if record.get(name) else "N"
            elif name.startswith("UF_"):
                definition = definitions.get(name)
                if definition is not None:
                    record[name] = stored_value(definition, value, self.tz)
                elif (
                    not strict and name.startswith("UF_CRM_") and FIELD_NAME.match(name)
                ):
                    record[name] = _as_bitrix_scalar(value)
                    new_user_fields.append(name)
                else:
                    # a portal drops a custom field it does not have, and says
                    # nothing: only reading the record back shows it
                    ignored.append(name)
            elif name in writable or name in record:
                record[name] = _as_bitrix_scalar(value)
            else:
                ignored.append(name)  # Bitrix24 ignores fields it does not know
        self._remember_user_fields(entity, new_user_fields)
        return ignored

    def _merge_multi_field(
        self, current: Any, changes: Any, name: str
    ) -> list[dict[str, str]]:
        """Bitrix24's multi-field rules: an item with ID edits (or DELETE=Y removes)
        that value, an item without ID adds one."""
        values = [dict(item) for item in (current or []) if isinstance(item, dict)]
        if isinstance(changes, dict):  # PHP-style fields[PHONE][0][VALUE]=...
            changes = list(changes.values())
        if not isinstance(changes, list):
            return values
        additions = []
        for change in changes:
            if not isinstance(change, dict):
                continue
            change_id = str(change.get("ID", "")).strip()
            if change_id:
                for item in values:
                    if str(item.get("ID")) == change_id:
                        if str(change.get("DELETE", "")).upper() == "Y":
                            values.remove(item)
                        else:
                            for key in ("VALUE", "VALUE_TYPE"):
                                if key in change:
                                    item[key] = str(change[key])
                        break
            elif str(change.get("VALUE", "")).strip():
                additions.append(change)
        if additions:
            first = self._next_multi_field_id(len(additions))
            for offset, change in enumerate(additions):
                values.append(
                    {
                        "ID": str(first + offset),
                        "VALUE_TYPE": str(change.get("VALUE_TYPE") or "WORK"),
                        "VALUE": str(change["VALUE"]),
                        "TYPE_ID": name,
                    }
                )
        return values

    # -- the audit of applied updates ------------------------------------------

    def audit(
        self, entity: Entity | None = None, record_id: Any = None
    ) -> list[dict[str, Any]]:
        """Every update the API applied, oldest first: entity, ID, the fields as
        sent, the names ignored, and when (seconds since the epoch)."""
        where, params = ["1 = 1"], []
        if entity is not None:
            where.append("entity = ?")
            params.append(entity.name)
        if record_id is not None:
            where.append("record_id = ?")
            params.append(str(record_id).strip())
        with self._lock:
            rows = self._db.execute(
                "select seq, entity, record_id, fields, ignored, at from update_audit "
                f"where {' and '.join(where)} order by seq",
                params,
            ).fetchall()
        return [
            {
                "seq": seq,
                "entity": entity_name,
                "id": rid,
                "fields": json.loads(sent),
                "ignored": json.loads(ignored),
                "at": at,
            }
            for seq, entity_name, rid, sent, ignored, at in rows
        ]

    def update_counts(self, entity: Entity | None = None) -> dict[str, dict[str, int]]:
        """Applied updates per record: ``{"contact": {"5": 2}}``."""
        where, params = "", []
        if entity is not None:
            where, params = "where entity = ?", [entity.name]
        with self._lock:
            rows = self._db.execute(
                f"select entity, record_id, count(*) from update_audit {where} "
                "group by entity, record_id "
                "order by entity, cast(record_id as integer)",
                params,
            ).fetchall()
        counts: dict[str, dict[str, int]] = {}
        for entity_name, record_id, count in rows:
            counts.setdefault(entity_name, {})[record_id] = count
        return counts

    def clear_audit(self) -> None:
        with self.transaction():
            self._db.execute("delete from update_audit")

    # -- reading -------------------------------------------------------------

    def get(self, entity: Entity, record_id: Any) -> dict[str, Any] | None:
        with self._lock:
            row = self._db.execute(
                f"select data from {entity.table} where id = ?",
                (str(record_id).strip(),),
            ).fetchone()
        return json.loads(row[0]) if row else None

    def list(
        self,
        entity: Entity,
        filters: Mapping[str, Any] | None = None,
        order: Mapping[str, Any] | None = None,
        start: int = 0,
        limit: int = 50,
    ) -> tuple[list[dict[str, Any]], int]:
        """One page of records and the total matching the filter."""
        where, params = self._where(entity, filters or {})
        order_by = self._order_by(entity, order or {})
        with self._lock:
            total = self._db.execute(
                f"select count(*) from {entity.table} where {where}", params
            ).fetchone()[0]
            # pick the page's rowids from the indexes alone, then read only those
            # 50 records: OFFSET then skips index entries, not whole JSON rows
            rows = self._db.execute(
                f"select data from {entity.table} where rowid in ("
                f"select rowid from {entity.table} where {where} "
                f"order by {order_by} limit ? offset ?) order by {order_by}",
                (*params, limit, max(start, 0)),
            ).fetchall()
        return [json.loads(data) for (data,) in rows], total

    def _column(self, entity: Entity, field: str) -> tuple[str, str]:
        """The SQL expression for a field and how its values compare."""
        if not FIELD_NAME.match(field):
            raise FilterError(f"unknown field {field!r}")
        if field == "ID":
            return "id_num", "number"
        if field == "DATE_MODIFY":
            return "date_modify_ts", "date"
        if field == "DATE_CREATE":
            return "date_create_ts", "date"
        raw = f"json_extract(data, '$.{field}')"
        if field in entity.date_fields:
            return f"b24_instant({raw})", "date"
        if field in entity.numeric_fields:
            return f"b24_number({raw})", "number"
        return raw, "text"

    def _value(self, kind: str, value: Any, field: str) -> Any:
        if kind == "date":
            instant = to_instant(value, self.tz)
            if instant is None and str(value).strip():
                raise FilterError(f"{value!r} is not a date for {field}")
            return instant
        if kind == "number":
            number = to_number(value)
            if number is None and str(value).strip():
                raise FilterError(f"{value!r} is not a number for {field}")
            return number
        return "" if value is None else str(value)

    def _where(self, entity: Entity, filters: Mapping[str, Any]) -> tuple[str, list]:
        clauses, params = ["1 = 1"], []
        for key, value in filters.items():
            key = str(key)
            op = next((o for o in _OPERATORS if key.startswith(o)), "=")
            field = key[len(op) :] if key.startswith(op) else key
            column, kind = self._column(entity, field.upper())
            if isinstance(value, dict):  # PHP-style filter[ID][0]=1
                value = list(value.values())
            if isinstance(value, list) or op in ("@", "!@"):
                items = value if isinstance(value, list) else [value]
                marks = ", ".join("?" for _ in items) or "null"
                negate = "not " if op in ("!", "!=", "!@") else ""
                clauses.append(f"{column} {negate}in ({marks})")
                params.extend(self._value(kind, item, field) for item in items)
            elif op == "%":
                clauses.append(f"{column} like ?")
                params.append(f"%{value}%")
            elif value is None or str(value) == "":
                # Bitrix24 reads filter[FIELD]= as "is empty", filter[!FIELD]= as "set"
                empty = f"({column} is null or {column} = '')"
                clauses.append(f"not {empty}" if op in ("!", "!=") else empty)
            else:
                sql_op = {"!": "!=", "=": "="}.get(op, op)
                clauses.append(f"{column} {sql_op} ?")
                params.append(self._value(kind, value, field))
        return " and ".join(clauses), params

    def _order_by(self, entity: Entity, order: Mapping[str, Any]) -> str:
        terms = []
        last_column, last_way = "", "ASC"
        for field, direction in order.items():
            column, _ = self._column(entity, str(field).upper())
            way = str(direction).upper()
            if way not in ("ASC", "DESC"):
                raise FilterError(f"order direction must be ASC or DESC, got {way!r}")
            terms.append(f"{column} {way}")
            last_column, last_way = column, way
        # a stable tie-breaker, so that `start` paging never repeats or skips a
        # row; rowid in the same direction keeps the ID index usable for sorting
        if last_column != "id_num":
            terms.append("id_num asc")
            last_way = "ASC"
        terms.append(f"rowid {last_way}")
        return ", ".join(terms)


def _check_addresses(changes: Any) -> None:
    """Refuse an update whose new or edited e-mail is no address, as a portal does."""
    if isinstance(changes, dict):
        changes = list(changes.values())
    for change in changes if isinstance(changes, list) else ():
        if not isinstance(change, dict):
            continue
        if str(change.get("DELETE", "")).upper() == "Y" or "VALUE" not in change:
            continue
        value = str(change.get("VALUE") or "").strip()
        if value and not _EMAIL.match(value):
            kind = str(change.get("VALUE_TYPE") or "WORK").upper()
            label = _EMAIL_LABELS.get(kind, "E-mail")
            raise RefusedByPortal(
                "ERROR_CORE", f'The field "{label}" contains an invalid address'
            )


def _as_bitrix_scalar(value: Any) -> Any:
    """Bitrix24 hands every scalar back as a string."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Y" if value else "N"
    if isinstance(value, int | float):
        return str(value)
    return value


def load_seed_file(path: Path) -> dict[str, list[dict[str, Any]]]:
    """Records by table from a seed file ``{"portal": .., "contacts": [..], ...}``."""
    with Path(path).open(encoding="utf-8") as handle:
        document = json.load(handle)
    if not isinstance(document, dict):
        raise ValueError(
            f"{path}: expected a JSON object with contacts/companies/deals"
        )
    records = {}
    for entity in ENTITIES.values():
        items = document.get(entity.table) or []
        if not isinstance(items, list) or not all(isinstance(r, dict) for r in items):
            raise ValueError(f"{path}: {entity.table} must be a list of JSON objects")
        records[entity.table] = items
    return records


def seed_store(store: PortalStore, path: Path) -> dict[str, UpsertCounts]:
    """Upsert every record of a seed file into the store."""
    records = load_seed_file(path)
    return {
        entity.table: store.upsert(entity, records[entity.table])
        for entity in ENTITIES.values()
    }


__all__ = [
    "DEFAULT_TZ_OFFSET",
    "AppliedUpdate",
    "FilterError",
    "PortalStore",
    "RefusedByPortal",
    "UpsertCounts",
    "load_seed_file",
    "seed_store",
    "to_instant",
]

"""The stand-in's records: one SQLite file per portal, with filterable columns."""

from __future__ import annotations

import json
import re
import sqlite3
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from demo.standins.bitrix24.entities import ENTITIES, Entity

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
"""

# Filter operators Bitrix24 understands, longest first so ">=" wins over ">"
_OPERATORS = ("!@", ">=", "<=", "!=", "=", ">", "<", "!", "%", "@")


class FilterError(ValueError):
    """A filter or order the portal cannot apply; answered as a Bitrix24 error."""


@dataclass
class UpsertCounts:
    inserted: int = 0
    replaced: int = 0
    kept: int = 0  # the stored record was as new or newer

    def __str__(self) -> str:
        return f"{self.inserted} new, {self.replaced} updated, {self.kept} unchanged"


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

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def reset(self) -> None:
        """Forget every record (``--reseed``)."""
        with self._lock:
            self._db.execute("begin")
            for entity in ENTITIES.values():
                self._db.execute(f"delete from {entity.table}")
            self._db.execute("delete from user_fields")
            self._db.execute("delete from meta")
            self._db.execute("commit")

    def now(self) -> str:
        """The portal's clock, written the way Bitrix24 writes DATE_MODIFY."""
        return datetime.now(self.tz).replace(microsecond=0).isoformat()

    def count(self, entity: Entity) -> int:
        with self._lock:
            return self._db.execute(f"select count(*) from {entity.table}").fetchone()[
                0
            ]

    def user_fields(self, entity: Entity) -> list[str]:
        with self._lock:
            rows = self._db.execute(
                "select name from user_fields where entity = ? order by name",
                (entity.name,),
            ).fetchall()
        return [name for (name,) in rows]

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
        self._db.executemany(
            "insert or ignore into user_fields (entity, name) values (?, ?)",
            [(entity.name, name) for name in names],
        )

    def _next_multi_field_id(self, count: int) -> int:
        """Reserve `count` IDs for PHONE/EMAIL values; IDs are portal-wide."""
        row = self._db.execute(
            "select value from meta where key = 'multi_field_seq'"
        ).fetchone()
        first = int(row[0]) if row else 1
        self._db.execute(
            "insert into meta (key, value) values ('multi_field_seq', ?) "
            "on conflict (key) do update set value = excluded.value",
            (str(first + count),),
        )
        return first

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
        with self._lock:
            self._db.execute("begin")
            try:
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
                self._db.execute("commit")
            except BaseException:
                self._db.execute("rollback")
                raise
        counts.inserted = after - before
        counts.replaced = changed - counts.inserted
        counts.kept = len(rows) - changed
        return counts

    def add(self, entity: Entity, fields: Mapping[str, Any]) -> int:
        """A new record as crm.<entity>.add makes it; returns its ID."""
        with self._lock:
            self._db.execute("begin")
            try:
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
                self._apply(entity, record, fields)
                record.update(ID=str(new_id), DATE_CREATE=now, DATE_MODIFY=now)
                self._db.execute(
                    f"insert into {entity.table} (id, id_num, date_modify, "
                    "date_modify_ts, date_create_ts, data) values (?, ?, ?, ?, ?, ?)",
                    self._row(record),
                )
                self._db.execute("commit")
            except BaseException:
                self._db.execute("rollback")
                raise
        return new_id

    def update(self, entity: Entity, record_id: Any, fields: Mapping[str, Any]) -> bool:
        """Change only the passed fields, as crm.<entity>.update does; False: no ID."""
        with self._lock:
            self._db.execute("begin")
            try:
                row = self._db.execute(
                    f"select data from {entity.table} where id = ?",
                    (str(record_id).strip(),),
                ).fetchone()
                if row is None:
                    self._db.execute("rollback")
                    return False
                record = json.loads(row[0])
                self._apply(entity, record, fields)
                record["DATE_MODIFY"] = self.now()
                self._db.execute(
                    f"update {entity.table} set id_num = ?, date_modify = ?, "
                    "date_modify_ts = ?, date_create_ts = ?, data = ? where id = ?",
                    (*self._row(record)[1:], record["ID"]),
                )
                self._db.execute("commit")
            except BaseException:
                self._db.execute("rollback")
                raise
        return True

    def _apply(
        self, entity: Entity, record: dict[str, Any], fields: Mapping[str, Any]
    ) -> None:
        """Write passed fields into a record; unknown non-UF fields are ignored."""
        known = set(entity.fields) | set(record)
        new_user_fields = []
        for raw_name, value in fields.items():
            name = str(raw_name).upper()
            if name in entity.read_only:
                continue
            if name in entity.multi_fields:
                record[name] = self._merge_multi_field(record.get(name), value, name)
                if not record[name]:
                    del record[name]
                flag = "HAS_" + name
                record[flag] = "Y" if record.get(name) else "N"
            elif name.startswith("UF_CRM_") and FIELD_NAME.match(name):
                record[name] = _as_bitrix_scalar(value)
                new_user_fields.append(name)
            elif name in known and not name.startswith("UF_"):
                record[name] = _as_bitrix_scalar(value)
            # anything else: Bitrix24 silently ignores fields it does not know
        self._remember_user_fields(entity, new_user_fields)

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
    "FilterError",
    "PortalStore",
    "UpsertCounts",
    "load_seed_file",
    "seed_store",
    "to_instant",
]

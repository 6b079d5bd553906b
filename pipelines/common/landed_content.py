"""Landing only the rows whose content changed: a hash per row, compared by key."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Hashable, Iterable, Mapping, Sequence
from typing import Any

import dlt
from dlt.common.destination.exceptions import SqlClientNotAvailable
from dlt.common.schema import Schema
from dlt.common.schema.utils import new_table
from dlt.destinations.exceptions import DatabaseUndefinedRelation

# the column each landed table keeps a row's hash in
CONTENT_HASH = "content_hash"
# keys looked up in one query (one list parameter): each lookup scans what its
# key range does not rule out, so fewer, larger lookups scan less
_KEYS_PER_LOOKUP = 10_000


def content_hash(values: Mapping[str, Any]) -> str:
    """SHA-256 of the values as sorted JSON; a date, decimal or time as its text.

    The same values always give the same hash, whatever their order, so a row
    re-read from an unchanged source record hashes to what was landed.
    """
    text = json.dumps(values, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def values_hash(values: Iterable[Any]) -> str:
    """SHA-256 of the values' repr, in their order: for rows of fixed columns.

    Twice as fast as `content_hash` (measured: 4.6 against 10.4 us for an
    invoice row, where a 1C row parses in about 7), which a source that hashes
    every row of a full export each night notices. repr is unambiguous (text
    is quoted, None is not ''), and it tells 1 from '1' and a date from its
    text. Should a Python release write some value's repr otherwise, the rows
    holding it land once more: a cost, not a loss.
    """
    return hashlib.sha256(repr(tuple(values)).encode()).hexdigest()


def add_hash_column(schema: Schema, table: str) -> None:
    """Give `table`, landed before rows were hashed, its CONTENT_HASH column.

    A source whose columns are frozen refuses any new column, this one too.
    dlt applies no contract to a change made in code, so the pipeline adds the
    column itself: the table gains hashes, and a column that arrives in the
    data unannounced is still refused. A table not landed yet is left alone
    (it is created with the column when it first lands).
    """
    landed = schema.tables.get(table)
    if landed is None or CONTENT_HASH in landed.get("columns", {}):
        return
    schema.update_table(
        new_table(
            table,
            columns=[{"name": CONTENT_HASH, "data_type": "text", "nullable": True}],
        )
    )


class LandedContent:
    """The content hash of each row already landed in one table, looked up by key.

    A source that sends rows again unchanged (a CRM record the sync wrote into,
    a nightly full export) would otherwise rewrite them all; each batch of rows
    is looked up by key in the warehouse instead, and rows whose hash is the
    landed one are dropped. A table landed before the hash existed, or not at
    all, and a pipeline without a SQL destination have nothing to compare:
    every row lands (and so gains its hash).
    """

    def __init__(
        self, pipeline: dlt.Pipeline | None, table: str, key: str = "id"
    ) -> None:
        self.pipeline = pipeline
        self.table = table
        self.key = key
        # whether the table has the hash column; asked once (it does not change
        # while the rows are extracted, the load comes after)
        self._hashed: bool | None = None

    def changed_only(
        self, rows: list[dict[str, Any]], **scope: Any
    ) -> list[dict[str, Any]]:
        """The rows whose CONTENT_HASH differs from their landed row's.

        `scope` narrows the lookup to rows landed with these column values (the
        CRM's branch: ids repeat across branches).
        """
        landed = self.landed([row[self.key] for row in rows], **scope)
        if not landed:
            return rows
        return [row for row in rows if landed.get(row[self.key]) != row[CONTENT_HASH]]

    def landed(self, keys: Sequence[Hashable], **scope: Any) -> dict[Any, str]:
        """{key: landed hash} for those of `keys` landed with a hash."""
        if not keys or self.pipeline is None or self.pipeline.destination is None:
            return {}
        if self._hashed is False:
            # a table without hashes (or not landed yet): no connection a batch
            return {}
        found: dict[Any, str] = {}
        try:
            with self.pipeline.sql_client() as client:
                if not self._has_hash_column(client):
                    return {}
                table = client.make_qualified_table_name(self.table)
                key = client.escape_column_name(self.key)
                scope_sql = "".join(
                    f" and {client.escape_column_name(column)} = %s" for column in scope
                )
                for start in range(0, len(keys), _KEYS_PER_LOOKUP):
                    chunk = list(keys[start : start + _KEYS_PER_LOOKUP])
                    # The keys go as one list parameter, never as SQL (1C codes are
                    # free text): measured on DuckDB, binding 5,000 separate
                    # parameters took 70 ms a query. The key range lets DuckDB skip
                    # the row groups outside it (1C documents come in number
                    # order), which took a lookup in a 600,000-row table from 74 to
                    # 10 ms; should a database order the keys otherwise, a row
                    # outside its range is not found and merely lands again.
                    rows = client.execute_sql(
                        f"select {key}, {CONTENT_HASH} from {table} "
                        f"where {key} between %s and %s "
                        f"and {key} in (select unnest(%s)){scope_sql}",
                        min(chunk),
                        max(chunk),
                        chunk,
                        *scope.values(),
                    )
                    found.update((k, landed) for k, landed in rows or () if landed)
        except (DatabaseUndefinedRelation, SqlClientNotAvailable):
            return {}
        return found

    def _has_hash_column(self, client: Any) -> bool:
        if self._hashed is None:
            self._hashed = bool(
                client.execute_sql(
                    "select 1 from information_schema.columns "
                    "where table_schema = %s and table_name = %s "
                    "and column_name = %s",
                    client.dataset_name,
                    self.table,
                    CONTENT_HASH,
                )
            )
        return self._hashed

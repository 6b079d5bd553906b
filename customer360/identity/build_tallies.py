"""What each identity build did, kept beside its models for `c360 run` and BI.

Every build of a pair model appends a row to `<model>__scorings` (records, how many
were new, changed or gone, pairs scored, full or incremental and why), and every
build of a cluster model a row to `<model>__changes` (clusters, how many are not a
cluster of the build before, how many of the build before lost all their records).
Like `<model>__scored_records`, they are tables the models write beside themselves,
not dbt models: a model cannot ref what it writes, and no rebuild, not even
--full-refresh, drops them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import duckdb
import pyarrow as pa

SCORINGS_SUFFIX = "__scorings"
CHANGES_SUFFIX = "__changes"

# entity type -> (pair model, cluster model), as dbt names them
IDENTITY_MODELS = {
    "persons": ("int_person_match_pairs", "int_person_clusters"),
    "organisations": ("int_organisation_match_pairs", "int_organisation_clusters"),
}

SCORINGS_COLUMNS = (
    "scored_at timestamp, entity_type varchar, records bigint,"
    " changed_records bigint, gone_records bigint, pairs_scored bigint,"
    " full_scoring boolean, full_reason varchar, seconds double"
)
CHANGES_COLUMNS = (
    "built_at timestamp, clusters bigint, clusters_touched bigint,"
    " records_in_touched_clusters bigint, clusters_gone bigint"
)


def utc_now() -> datetime:
    """The time the side tables are written with: UTC, without a time zone, so
    that a reader in another process compares it with its own clock as is."""
    return datetime.now(UTC).replace(tzinfo=None)


def relation(this: Any, identifier: str) -> str:
    return f'"{this.database}"."{this.schema}"."{identifier}"'


def table_exists(session: Any, this: Any, identifier: str) -> bool:
    # duckdb's execute() would leave a pending result on dbt's cursor: sql() and
    # fetch it all
    return bool(
        session.sql(
            "select count(*) from information_schema.tables"
            f" where table_catalog = '{this.database}'"
            f" and table_schema = '{this.schema}' and table_name = '{identifier}'"
        ).fetchall()[0][0]
    )


def _append(session: Any, this: Any, suffix: str, columns: str, row: pa.Table) -> None:
    table = relation(this, this.identifier + suffix)
    session.sql(f"create table if not exists {table} ({columns})")
    # a table kept from an older version gains the columns added since
    for column in columns.split(","):
        session.sql(f"alter table {table} add column if not exists {column.strip()}")
    session.register("c360_build_tally", row)
    session.sql(f"insert into {table} by name select * from c360_build_tally")
    session.unregister("c360_build_tally")


def append_scoring(
    session: Any,
    this: Any,
    *,
    entity_type: str,
    records: int,
    changed_records: int,
    gone_records: int,
    pairs_scored: int,
    full_reason: str,
    seconds: float,
) -> None:
    """One row in `<pair model>__scorings`; `full_reason` '' for an incremental
    scoring."""
    row = pa.table(
        {
            "scored_at": pa.array([utc_now()], pa.timestamp("us")),
            "entity_type": [entity_type],
            "records": pa.array([records], pa.int64()),
            "changed_records": pa.array([changed_records], pa.int64()),
            "gone_records": pa.array([gone_records], pa.int64()),
            "pairs_scored": pa.array([pairs_scored], pa.int64()),
            "full_scoring": [bool(full_reason)],
            "full_reason": [full_reason],
            "seconds": pa.array([seconds], pa.float64()),
        }
    )
    _append(session, this, SCORINGS_SUFFIX, SCORINGS_COLUMNS, row)


def record_cluster_changes(session: Any, this: Any, clusters: pa.Table) -> None:
    """One row in `<cluster model>__changes`: how many of this build's clusters
    (record_key, cluster_id) are not, member for member, a cluster of the table
    still in place from the build before (all of them on a first build), and how
    many clusters of the build before have none of their records left (a lone
    record deleted at its source: nothing new is built for it)."""
    session.register("c360_clusters_now", clusters.select(["record_key", "cluster_id"]))
    members = (
        "select md5(string_agg(record_key, '|' order by record_key)) as members,"
        " count(*) as size from {} group by cluster_id"
    )
    if table_exists(session, this, this.identifier):
        previous = relation(this, this.identifier)
        before = members.format(previous)
        [(gone,)] = session.sql(
            f"""
            select count(*) from (
                select cluster_id from {previous}
                group by cluster_id
                having bool_and(record_key not in
                    (select record_key from c360_clusters_now))
            )
            """
        ).fetchall()
    else:
        before = "select null::varchar as members, 0 as size where false"
        gone = 0
    [(count, touched, records)] = session.sql(
        f"""
        with now as ({members.format("c360_clusters_now")}),
        before as ({before})
        select
            count(*),
            count(*) filter (where before.members is null),
            coalesce(sum(now.size) filter (where before.members is null), 0)
        from now
        left join before on before.members = now.members
        """
    ).fetchall()
    session.unregister("c360_clusters_now")
    row = pa.table(
        {
            "built_at": pa.array([utc_now()], pa.timestamp("us")),
            "clusters": pa.array([count], pa.int64()),
            "clusters_touched": pa.array([touched], pa.int64()),
            "records_in_touched_clusters": pa.array([records], pa.int64()),
            "clusters_gone": pa.array([gone], pa.int64()),
        }
    )
    _append(session, this, CHANGES_SUFFIX, CHANGES_COLUMNS, row)


@dataclass(frozen=True)
class IdentityTally:
    """What one run's identity build did for one entity type."""

    entity_type: str
    records: int
    changed_records: int
    gone_records: int
    pairs_scored: int
    # '' for an incremental scoring
    full_reason: str
    clusters: int | None = None
    clusters_touched: int | None = None
    clusters_gone: int | None = None

    def format(self) -> str:
        if self.full_reason:
            scored = f"all {self.records:,} records scored ({self.full_reason})"
        else:
            scored = (
                f"{self.changed_records:,} of {self.records:,} records new or changed"
            )
            if self.gone_records:
                scored += f", {self.gone_records:,} gone"
        text = f"{self.entity_type} {scored}, {self.pairs_scored:,} pairs scored"
        if self.clusters_touched is not None:
            text += f", {self.clusters_touched:,} clusters touched"
        if self.clusters_gone:
            text += f", {self.clusters_gone:,} gone with all their records"
        return text


def identity_tallies(
    connection: duckdb.DuckDBPyConnection, since: datetime
) -> list[IdentityTally]:
    """Each entity type's newest scoring since `since` (UTC, as utc_now()), with
    its clusters' changes; none for an entity type not scored since (a run that
    did not build it) or without records (a company without such records)."""
    tallies = []
    for entity_type, (pairs_model, clusters_model) in IDENTITY_MODELS.items():
        scorings = _find(connection, pairs_model + SCORINGS_SUFFIX)
        if scorings is None:
            continue
        scoring = connection.execute(
            "select records, changed_records, gone_records, pairs_scored,"
            f" full_reason from {scorings} where scored_at >= ?"
            " order by scored_at desc limit 1",
            [since],
        ).fetchone()
        if scoring is None or not scoring[0]:
            continue
        changes = _find(connection, clusters_model + CHANGES_SUFFIX)
        clustered = (
            connection.execute(
                f"select clusters, clusters_touched, clusters_gone from {changes}"
                " where built_at >= ? order by built_at desc limit 1",
                [since],
            ).fetchone()
            if changes is not None
            else None
        ) or (None, None, None)
        tallies.append(IdentityTally(entity_type, *scoring, *clustered))
    return tallies


def _find(connection: duckdb.DuckDBPyConnection, table_name: str) -> str | None:
    """The table's qualified name, in whichever schema dbt built its model."""
    found = connection.execute(
        "select table_schema from information_schema.tables where table_name = ?"
        " order by table_schema limit 1",
        [table_name],
    ).fetchone()
    return None if found is None else f'"{found[0]}"."{table_name}"'

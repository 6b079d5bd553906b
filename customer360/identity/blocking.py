"""The blocking keys of the match table, with oversized blocks purged.

Every prediction blocking rule reads one `block_<key>` column (settings.py,
BlockingKey). A key value carried by more than MAX_BLOCK_RECORDS records is left
out of its column (null, or dropped from the list): the rule would otherwise score
every pair of those records, which grows with the square of the company.
"""

from __future__ import annotations

import duckdb

from customer360.identity.features import EntityType
from customer360.identity.model_definition import MAX_BLOCK_RECORDS, blocking_keys


def add_blocking_keys(
    con: duckdb.DuckDBPyConnection,
    match_table: str,
    entity_type: EntityType,
    max_block_records: int = MAX_BLOCK_RECORDS,
) -> dict[str, int]:
    """Add a `block_<key>` column per blocking key to `match_table`; returns the
    number of key values purged per key (values in more than max_block_records
    records)."""
    purged: dict[str, int] = {}
    for key in blocking_keys(entity_type):
        column = key.column
        if key.is_list:
            con.execute(
                f"""
                create or replace temp table key_values as
                select record_key, unnest(list_distinct(list_filter(
                    {key.sql}, lambda v: v is not null))) as value
                from {match_table}
                """
            )
        else:
            con.execute(
                f"""
                create or replace temp table key_values as
                select record_key, {key.sql} as value
                from {match_table}
                where {key.sql} is not null
                """
            )
        con.execute(
            """
            create or replace temp table key_sizes as
            select value, count(*) as records from key_values group by value
            """
        )
        purged[key.name] = con.execute(
            f"select count(*) from key_sizes where records > {max_block_records}"
        ).fetchall()[0][0]
        kept = f"""
            select key_values.record_key, key_values.value
            from key_values join key_sizes using (value)
            where key_sizes.records <= {max_block_records}
        """
        if key.is_list:
            values = f"""(
                select record_key, list(value order by value) as {column}
                from ({kept}) group by record_key
            )"""
        else:
            values = f"(select record_key, value as {column} from ({kept}))"
        con.execute(
            f"""
            create or replace table {match_table} as
            select records.*, keys.{column}
            from {match_table} as records
            left join {values} as keys using (record_key)
            """
        )
    con.execute("drop table if exists key_values")
    con.execute("drop table if exists key_sizes")
    return purged

"""The ID assignment step as the dbt Python models run it, for either entity type.

`models/intermediate/registry/int_<entity>_id_assignments.py` only declare their
config and their ref (dbt reads both from the model file to place it in the graph)
and call `assign_ids_in_model` with their clusters; reading the previous state and
guarding against a lost registry is here, once.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pyarrow as pa

from customer360.identity.stable_ids import (
    EntityType,
    assign_ids_arrow,
    drop_leftover_temp_tables,
)

# The registry is built after the assignment models (it reads what they assign), so
# they read the registry's rows as they were before this run: its IDs' high-water
# mark and the merged IDs. It is named here, not ref'd, because a ref would be a
# cycle; both tables keep their rows through --full-refresh.
REGISTRY_MODEL = "int_entity_id_registry"


def _previous_registry(dbt: Any, session: Any) -> pa.Table | None:
    # names from dbt itself, not user input; duckdb's execute() would leave a
    # pending result on dbt's cursor, so read with sql() and fetch it all
    found = session.sql(
        "select count(*) from information_schema.tables"
        f" where table_catalog = '{dbt.this.database}'"
        f" and table_schema = '{dbt.this.schema}'"
        f" and table_name = '{REGISTRY_MODEL}'"
    ).fetchall()[0][0]
    if not found:
        return None
    relation = f'"{dbt.this.database}"."{dbt.this.schema}"."{REGISTRY_MODEL}"'
    return session.sql(f"select * from {relation}").arrow().read_all()


def assign_ids_in_model(
    dbt: Any, session: Any, clusters: Any, entity_type: EntityType
) -> pa.Table:
    """This build's assignments for the records of `clusters` (the relation the
    model ref'd): an incremental model's new and changed rows, or every row on the
    first build."""
    drop_leftover_temp_tables(session, dbt.this)
    clusters = clusters.arrow().read_all()
    previous = registry = None
    if dbt.is_incremental:
        previous = session.sql(f"select * from {dbt.this}").arrow().read_all()
        registry = _previous_registry(dbt, session)
        if registry is None and previous.num_rows:
            # without the registry, merged IDs would look free and be reissued
            raise RuntimeError(
                f"{dbt.this} holds assignments but {REGISTRY_MODEL} is missing:"
                " restore it before building"
            )
    now = datetime.now(UTC)
    return assign_ids_arrow(previous, registry, clusters, entity_type, now)

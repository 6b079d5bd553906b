"""Organisation records -> stable organisation IDs (org_000001), kept for good."""

from datetime import UTC, datetime

from customer360.identity.registry import assign_ids_arrow, drop_leftover_temp_tables

# The registry is built after this model (it reads what this model assigns), so
# this model reads the registry's rows as they were before this run: its IDs'
# high-water mark and the merged IDs. It is named here, not ref'd, because a ref
# would be a cycle; both tables keep their rows through --full-refresh.
REGISTRY_MODEL = "int_entity_id_registry"


def _previous_registry(dbt, session):
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


def model(dbt, session):
    dbt.config(
        materialized="incremental",
        unique_key="record_key",
        # the assignments are state, not a view of the sources: a rebuild from
        # scratch would hand out new IDs to everyone
        full_refresh=False,
    )
    drop_leftover_temp_tables(session, dbt.this)
    clusters = dbt.ref("int_organisation_clusters").arrow().read_all()
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
    return assign_ids_arrow(
        previous, registry, clusters, "organisation", datetime.now(UTC)
    )

"""Every stable ID ever issued, persons and organisations: active, or merged into."""

from customer360.identity.stable_ids import (
    drop_leftover_temp_tables,
    registry_changes_arrow,
)


def model(dbt, session):
    dbt.config(
        materialized="incremental",
        unique_key="entity_id",
        # IDs are never reused: forgetting one would let it be issued again
        full_refresh=False,
    )
    drop_leftover_temp_tables(session, dbt.this)
    assignments = {
        "person": dbt.ref("int_person_id_assignments").arrow().read_all(),
        "organisation": dbt.ref("int_organisation_id_assignments").arrow().read_all(),
    }
    registry = None
    if dbt.is_incremental:
        registry = session.sql(f"select * from {dbt.this}").arrow().read_all()
    # only new and changed rows: the incremental merge replaces them by entity_id
    return registry_changes_arrow(registry, assignments)

"""The merge history: when which stable ID merged into which, and on what evidence."""

from customer360.identity.stable_ids import drop_leftover_temp_tables, merges_arrow


def model(dbt, session):
    dbt.config(
        materialized="incremental",
        # an ID merges once: once merged it is never active again
        unique_key="merged_id",
        # history: a rebuild cannot recreate it from the current assignments
        full_refresh=False,
    )
    drop_leftover_temp_tables(session, dbt.this)
    assignments = {
        "person": dbt.ref("int_person_id_assignments").arrow().read_all(),
        "organisation": dbt.ref("int_organisation_id_assignments").arrow().read_all(),
    }
    recorded = None
    if dbt.is_incremental:
        recorded = session.sql(f"select merged_id from {dbt.this}").arrow().read_all()
    return merges_arrow(recorded, assignments)

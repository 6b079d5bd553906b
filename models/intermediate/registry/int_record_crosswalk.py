"""Every person and organisation record -> its current active stable ID."""

from customer360.identity.stable_ids import crosswalk_arrow


def model(dbt, session):
    # a plain table: derived entirely from the assignments and the registry, which
    # hold the state, so a rebuild from scratch gives the same rows
    dbt.config(materialized="table")
    assignments = {
        "person": dbt.ref("int_person_id_assignments").arrow().read_all(),
        "organisation": dbt.ref("int_organisation_id_assignments").arrow().read_all(),
    }
    registry = dbt.ref("int_entity_id_registry").arrow().read_all()
    return crosswalk_arrow(registry, assignments)

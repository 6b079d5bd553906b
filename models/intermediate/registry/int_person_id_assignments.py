"""Person records -> stable person IDs (per_000001), kept for good."""

from customer360.identity.stable_id_models import assign_ids_in_model


def model(dbt, session):
    dbt.config(
        materialized="incremental",
        unique_key="record_key",
        # the assignments are state, not a view of the sources: a rebuild from
        # scratch would hand out new IDs to everyone
        full_refresh=False,
    )
    clusters = dbt.ref("int_person_clusters")
    return assign_ids_in_model(dbt, session, clusters, "person")

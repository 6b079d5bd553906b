"""Person matching models trained on this warehouse's own records, kept for good.

As int_organisation_match_models; persons train with the resolved organisations, so
that the same-name-same-organisation rule and the models see one company as one.
"""

from customer360.identity.model_store import train_if_needed
from customer360.identity.stable_ids import drop_leftover_temp_tables


def model(dbt, session):
    dbt.config(
        materialized="incremental",
        unique_key="model_id",
        # trained models are state: a rebuild keeps them and their history
        full_refresh=False,
    )
    drop_leftover_temp_tables(session, dbt.this)
    records = dbt.ref("int_person_records_unioned").arrow().read_all()
    organisations = (
        dbt.ref("int_organisation_clusters")
        .project("record_key, cluster_id")
        .arrow()
        .read_all()
    )
    previous = (
        session.sql(f"select * from {dbt.this}").arrow().read_all()
        if dbt.is_incremental
        else None
    )
    force = str(dbt.config.get("identity_retrain")).lower() == "true"
    return train_if_needed(
        records,
        "persons",
        previous,
        force=force,
        organisation_clusters=organisations,
    )

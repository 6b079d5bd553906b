"""Organisation matching models trained on this warehouse's own records, kept for good.

One row per training (customer360.identity.model_store): a build trains when no model
was trained here yet, when `identity_retrain` is set (`c360 identity train`), or when
a fifth of the records are new, changed or gone since the last training; otherwise it
adds nothing. A model that fails its checks is kept as `rejected`, and matching goes
on with the last accepted one.
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
    records = dbt.ref("int_organisation_records_unioned").arrow().read_all()
    previous = (
        session.sql(f"select * from {dbt.this}").arrow().read_all()
        if dbt.is_incremental
        else None
    )
    force = str(dbt.config.get("identity_retrain")).lower() == "true"
    return train_if_needed(records, "organisations", previous, force=force)

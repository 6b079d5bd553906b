"""Scored pairs of person records: must-link rules plus the Splink model trained on
this warehouse (int_person_match_models; its newest accepted version).

One row per pair the engine looked at and kept (must-link, or match probability at or
above the review band): decision `match` or `review`, the rules that fired and the
match weight of every comparison. Calls and tickets are events, not identities: the
engine leaves them out (they are attributed in int_event_attributions). The resolved
organisations come in so that one person's records at one company meet across the
CRM and 1C (the same-name-same-organisation rule).

Incremental: a build rescores only the pairs of new and changed records, with the
model version and prior of the last full scoring (customer360.identity.pair_models);
--full-refresh or a new model version scores everything.
"""

from customer360.dbt_stdout import report
from customer360.identity.model_store import choose_model
from customer360.identity.pair_models import match_pairs_in_model


def model(dbt, session):
    dbt.config(materialized="incremental")
    records = dbt.ref("int_person_records_unioned").arrow().read_all()
    organisations = (
        dbt.ref("int_organisation_clusters")
        .project("record_key, cluster_id")
        .arrow()
        .read_all()
    )
    choice = choose_model(
        dbt.ref("int_person_match_models").arrow().read_all(), "persons"
    )
    if choice.message:
        report("identity", choice.message)
    return match_pairs_in_model(
        dbt,
        session,
        records,
        "persons",
        choice,
        organisation_clusters=organisations,
    )

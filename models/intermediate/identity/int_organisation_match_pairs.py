"""Scored pairs of organisation records: must-link rules plus the Splink model trained
on this warehouse (int_organisation_match_models; its newest accepted version).

One row per pair the engine looked at and kept (must-link, or match probability at or
above the review band): decision `match` or `review`, the rules that fired and the
match weight of every comparison.

Incremental: a build rescores only the pairs of new and changed records, with the
model version and prior of the last full scoring (customer360.identity.pair_models);
--full-refresh or a new model version scores everything.
"""

from customer360.dbt_stdout import report
from customer360.identity.model_store import choose_model
from customer360.identity.pair_models import match_pairs_in_model


def model(dbt, session):
    dbt.config(materialized="incremental")
    records = dbt.ref("int_organisation_records_unioned").arrow().read_all()
    choice = choose_model(
        dbt.ref("int_organisation_match_models").arrow().read_all(), "organisations"
    )
    if choice.message:
        report("identity", choice.message)
    return match_pairs_in_model(dbt, session, records, "organisations", choice)

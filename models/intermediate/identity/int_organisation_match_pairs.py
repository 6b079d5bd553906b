"""Scored pairs of organisation records: must-link rules plus the Splink model trained
on this warehouse (int_organisation_match_models; its newest accepted version).

One row per pair the engine looked at and kept (must-link, or match probability at or
above the review band): decision `match` or `review`, the rules that fired and the
match weight of every comparison.
"""

from customer360.identity.model_store import choose_model
from customer360.identity.resolve import match_pairs


def model(dbt, session):
    dbt.config(materialized="table")
    records = dbt.ref("int_organisation_records_unioned").arrow().read_all()
    choice = choose_model(
        dbt.ref("int_organisation_match_models").arrow().read_all(), "organisations"
    )
    if choice.message:
        print(f"identity: {choice.message}")
    return match_pairs(records, "organisations", model=choice.model)

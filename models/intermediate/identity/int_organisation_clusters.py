"""Organisation records grouped into organisations: match pairs plus decisions.

Every organisation record exactly once. A reviewer's 'same' joins a pair, a 'not_same'
removes its link and cuts the cluster apart if the two records still meet through
other links (customer360.identity.resolve.clusters_with_decisions).
"""

from customer360.identity.resolve import clusters_with_decisions


def model(dbt, session):
    dbt.config(materialized="table")
    records = dbt.ref("int_organisation_records_unioned")
    record_keys = [
        key for (key,) in records.project("record_key").order("record_key").fetchall()
    ]
    pairs = dbt.ref("int_organisation_match_pairs").arrow().read_all()
    decisions = (
        dbt.ref("stg_review__identity_decisions")
        .filter("entity_type = 'organisations'")
        .arrow()
        .read_all()
    )
    return clusters_with_decisions(record_keys, pairs, decisions)

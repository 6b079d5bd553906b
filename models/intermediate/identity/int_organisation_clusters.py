"""Organisation records grouped into organisations: match pairs plus decisions.

Every organisation record exactly once. A reviewer's 'same' joins a pair, a 'not_same'
removes its link and cuts the cluster apart if the two records still meet through
other links (customer360.identity.resolve.clusters_with_decisions). How many clusters
this build changed goes to `int_organisation_clusters__changes` (build_tallies).
"""

from customer360.identity.build_tallies import record_cluster_changes
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
    clusters = clusters_with_decisions(record_keys, pairs, decisions)
    # before dbt replaces the table: the build before's clusters are still in it
    record_cluster_changes(session, dbt.this, clusters)
    return clusters

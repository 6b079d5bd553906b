"""Every call and ticket: the person it is attached to, or why it is not.

An event is attached when its e-mail (tickets) or else its phone points to exactly
one person cluster; otherwise the reason says why (customer360.identity.events).
"""

from customer360.identity.events import attribute_events


def model(dbt, session):
    dbt.config(materialized="table")
    records = dbt.ref("int_person_records_unioned").arrow().read_all()
    clusters = (
        dbt.ref("int_person_clusters")
        .project("record_key, cluster_id")
        .arrow()
        .read_all()
    )
    return attribute_events(records, clusters)

"""Attach calls and tickets to a resolved contact, or say why they stay unattributed.

A call or ticket is one record per event, not a person, so it does not take part in
clustering. It is attached to a person cluster when its e-mail (tickets) or its phone
points to exactly one cluster; otherwise it stays unattributed with the reason:
`shared number` / `shared mailbox` (several clusters use it: a switchboard, a family
phone, info@) or `unknown number` (no clustered record has it).
"""

from __future__ import annotations

import duckdb
import pyarrow as pa

from customer360.dbt_stdout import quiet_connection
from customer360.identity.features import EVENT_SOURCE_SYSTEMS

_ATTRIBUTION_SQL = """
with people as (
    select r.record_key, c.cluster_id, r.email,
        list_filter(coalesce(r.phones_e164, [r.phone_e164]), lambda p: p is not null)
            as phones
    from records as r join clusters as c using (record_key)
),
by_email as (
    select email, min(cluster_id) as cluster_id,
        count(distinct cluster_id) as clusters
    from people where email is not null group by email
),
by_phone as (
    select phone, min(cluster_id) as cluster_id,
        count(distinct cluster_id) as clusters
    from (select cluster_id, unnest(phones) as phone from people)
    group by phone
),
events as (
    select record_key, source_system, email,
        coalesce(phone_e164, phones_e164[1]) as phone
    from records where source_system in {event_sources}
)
select
    e.record_key,
    e.source_system,
    case
        when be.clusters = 1 then be.cluster_id
        when bp.clusters = 1 then bp.cluster_id
    end as cluster_id,
    case
        when be.clusters = 1 then 'email'
        when bp.clusters = 1 then 'phone'
    end as attributed_by,
    case
        when be.clusters = 1 or bp.clusters = 1 then null
        when be.clusters > 1 and bp.clusters is null then 'shared mailbox'
        when bp.clusters > 1 then 'shared number'
        when be.clusters > 1 then 'shared mailbox'
        when e.phone is null and e.email is null then 'no phone or e-mail'
        when e.phone is not null then 'unknown number'
        else 'unknown e-mail'
    end as unattributed_reason
from events as e
left join by_email as be on e.email = be.email
left join by_phone as bp on e.phone = bp.phone
order by e.record_key
"""


def attribute_events(
    records: pa.Table | duckdb.DuckDBPyRelation, person_clusters: pa.Table
) -> pa.Table:
    """record_key, source_system, cluster_id, attributed_by, unattributed_reason for
    every call and ticket in `records` (the person union), given the person clusters
    from resolve()."""
    if isinstance(records, duckdb.DuckDBPyRelation):
        records = records.arrow().read_all()
    con = quiet_connection()
    con.register("records", records)
    con.register("clusters", person_clusters)
    sql = _ATTRIBUTION_SQL.format(event_sources=str(EVENT_SOURCE_SYSTEMS))
    return con.sql(sql).arrow().read_all()

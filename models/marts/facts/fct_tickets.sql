{#- One row per support ticket (its newest version). Contact and customer as for
    calls: the person the ticket is attributed to (by e-mail, else phone) and that
    person's customer; an unattributed ticket keeps its row with null IDs and the
    reason. The help desk exports no resolution time: resolved_at is the last update
    of a ticket whose status is solved or closed. -#}

with

tickets as (

    select
        ticket_id,
        subject,
        status,
        priority,
        channel,
        satisfaction_score,
        tags,
        created_at,
        updated_at,
        {{ dbt.concat(["'support:tickets:'", 'cast(ticket_id as ' ~ dbt.type_string() ~ ')']) }} as ticket_key,
        status in ('solved', 'closed') as is_resolved,
        list_contains(tags, 'complaint') as is_complaint

    from {{ ref('stg_support__tickets') }}

),

attributions as (

    select
        record_key,
        cluster_id,
        attributed_by,
        unattributed_reason

    from {{ ref('int_event_attributions') }}
    where source_system = 'support'

),

record_ids as (

    select
        record_key,
        contact_id,
        customer_id

    from {{ ref('int_record_customer_ids') }}

)

select
    cast(tickets.ticket_key as {{ dbt.type_string() }}) as ticket_key,
    cast(tickets.ticket_key as {{ dbt.type_string() }}) as source_record_key,
    cast(tickets.ticket_id as bigint) as ticket_id,
    cast(record_ids.contact_id as {{ dbt.type_string() }}) as contact_id,
    cast(record_ids.customer_id as {{ dbt.type_string() }}) as customer_id,
    cast(tickets.subject as {{ dbt.type_string() }}) as subject,
    cast(tickets.status as {{ dbt.type_string() }}) as status,
    cast(tickets.priority as {{ dbt.type_string() }}) as priority,
    cast(tickets.channel as {{ dbt.type_string() }}) as channel,
    cast(tickets.tags as {{ dbt.type_string() }}[]) as tags,  -- noqa: LT01
    cast(tickets.satisfaction_score as integer) as satisfaction_score,
    cast(tickets.created_at as timestamp with time zone) as opened_at,
    cast(case when tickets.is_resolved then tickets.updated_at end as timestamp with time zone) as resolved_at,
    cast(tickets.updated_at as timestamp with time zone) as updated_at,
    cast(coalesce(tickets.is_resolved, false) as boolean) as is_resolved,
    cast(coalesce(tickets.is_complaint, false) as boolean) as is_complaint,
    cast(coalesce(tickets.is_complaint and not tickets.is_resolved, false) as boolean) as is_unresolved_complaint,
    cast(attributions.attributed_by as {{ dbt.type_string() }}) as attributed_by,
    cast(
        case
            when attributions.record_key is null then 'not attributed'
            when attributions.cluster_id is null then attributions.unattributed_reason
            when record_ids.contact_id is null then 'person has no golden record'
        end as {{ dbt.type_string() }}
    ) as unattributed_reason

from tickets
left join attributions
    on tickets.ticket_key = attributions.record_key
left join record_ids
    on attributions.cluster_id = record_ids.record_key

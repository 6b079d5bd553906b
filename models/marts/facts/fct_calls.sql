{#- One row per telephony call (Asterisk CDR). The contact is the person the call is
    attributed to (int_event_attributions: its number points to exactly one person
    cluster; the cluster ID is the cluster's smallest record_key, whose stable ID is
    the person's); the customer is that contact's customer. An unattributed call
    keeps its row with null IDs and the reason. -#}

with

calls as (

    select
        call_id,
        called_at,
        direction,
        disposition,
        is_answered,
        duration_seconds,
        billed_seconds,
        customer_phone_e164,
        {{ dbt.concat(["'telephony:calls:'", 'call_id']) }} as call_key

    from {{ ref('stg_telephony__calls') }}

),

attributions as (

    select
        record_key,
        cluster_id,
        attributed_by,
        unattributed_reason

    from {{ ref('int_event_attributions') }}
    where source_system = 'telephony'

),

record_ids as (

    select
        record_key,
        contact_id,
        customer_id

    from {{ ref('int_record_customer_ids') }}

)

select
    cast(calls.call_key as {{ dbt.type_string() }}) as call_key,
    cast(calls.call_key as {{ dbt.type_string() }}) as source_record_key,
    cast(calls.call_id as {{ dbt.type_string() }}) as call_id,
    cast(calls.called_at as timestamp with time zone) as called_at,
    cast(record_ids.contact_id as {{ dbt.type_string() }}) as contact_id,
    cast(record_ids.customer_id as {{ dbt.type_string() }}) as customer_id,
    cast(calls.direction as {{ dbt.type_string() }}) as direction,
    cast(calls.disposition as {{ dbt.type_string() }}) as disposition,
    cast(coalesce(calls.is_answered, false) as boolean) as is_answered,
    cast(calls.duration_seconds as integer) as duration_seconds,
    cast(calls.billed_seconds as integer) as billed_seconds,
    cast(calls.customer_phone_e164 as {{ dbt.type_string() }}) as customer_phone_e164,
    cast(attributions.attributed_by as {{ dbt.type_string() }}) as attributed_by,
    cast(
        case
            when attributions.record_key is null then 'not attributed'
            when attributions.cluster_id is null then attributions.unattributed_reason
            when record_ids.contact_id is null then 'person has no golden record'
        end as {{ dbt.type_string() }}
    ) as unattributed_reason

from calls
left join attributions
    on calls.call_key = attributions.record_key
left join record_ids
    on attributions.cluster_id = record_ids.record_key

{#- The whole history on one screen: every deal, invoice, payment, return, call and
    ticket as one row, in time order per customer. One row per source record (the
    facts keep every record, so this does too); a row whose customer is unknown keeps
    customer_id null and has no sequence number.

    occurred_at: when it happened: a deal's creation, a ticket's opening, a call's
    start; 1C documents carry a date only, placed at the start of that day in
    Asia/Almaty. Ties fall to the order of business (deal, invoice, payment, return,
    call, ticket), then to the source record key, so every build numbers alike. -#}

{%- set type_string = dbt.type_string() -%}

with

deals as (

    select
        source_record_key,
        customer_id,
        contact_id,
        created_at as occurred_at,
        'crm' as channel,
        'deal' as interaction_type,
        1 as type_rank,
        branch,
        {{ dbt.concat([
            "'Deal «'", "coalesce(deal_title, '')", "'»: '", "coalesce(deal_stage, 'no stage')",
            "coalesce(' ' || cast(amount as " ~ type_string ~ ") || ' ' || currency, '')",
        ]) }} as interaction_summary,
        amount_kzt

    from {{ ref('fct_deals') }}

),

invoices as (

    select
        source_record_key,
        customer_id,
        contact_id,
        cast(invoiced_on as timestamp) at time zone 'Asia/Almaty' as occurred_at,
        'onec' as channel,
        'invoice' as interaction_type,
        2 as type_rank,
        branch,
        {{ dbt.concat([
            "'Invoice '", 'invoice_number',
            "coalesce(': ' || cast(gross_amount_kzt as " ~ type_string ~ ") || ' KZT', ' (not in KZT)')",
            "coalesce(', net ' || cast(net_amount_kzt as " ~ type_string ~ ") || ' KZT', '')",
            "case when is_shipped then ', shipped' else ', not shipped' end",
        ]) }} as interaction_summary,
        gross_amount_kzt as amount_kzt

    from {{ ref('fct_sales') }}

),

payments as (

    select
        source_record_key,
        customer_id,
        contact_id,
        cast(paid_on as timestamp) at time zone 'Asia/Almaty' as occurred_at,
        'onec' as channel,
        'payment' as interaction_type,
        3 as type_rank,
        branch,
        {{ dbt.concat([
            "'Payment '", 'payment_number',
            "coalesce(': ' || cast(amount_kzt as " ~ type_string ~ ") || ' KZT', ' (not in KZT)')",
            "coalesce(' (' || payment_method || ')', '')",
            "coalesce(' for invoice ' || invoice_number, ' on account')",
        ]) }} as interaction_summary,
        amount_kzt

    from {{ ref('fct_payments') }}

),

returns_received as (

    select
        {{ dbt.concat(["'onec:returns:'", 'onec_returns.return_number']) }} as source_record_key,
        record_ids.customer_id,
        record_ids.contact_id,
        cast(onec_returns.returned_on as timestamp) at time zone 'Asia/Almaty' as occurred_at,
        'onec' as channel,
        'return' as interaction_type,
        4 as type_rank,
        invoices.branch,
        {{ dbt.concat([
            "'Return '", 'onec_returns.return_number',
            "coalesce(': ' || cast(case when onec_returns.currency = 'KZT' then onec_returns.amount end as "
            ~ type_string ~ ") || ' KZT', ' (not in KZT)')",
            "coalesce(' of invoice ' || shipments.invoice_number, '')",
            "coalesce(', ' || onec_returns.return_reason, '')",
        ]) }} as interaction_summary,
        case when onec_returns.currency = 'KZT' then onec_returns.amount end as amount_kzt

    from {{ ref('stg_onec__returns') }} as onec_returns
    left join {{ ref('stg_onec__shipments') }} as shipments
        on onec_returns.shipment_number = shipments.shipment_number
    left join {{ ref('stg_onec__invoices') }} as invoices
        on shipments.invoice_number = invoices.invoice_number
    left join {{ ref('int_record_customer_ids') }} as record_ids
        on {{ dbt.concat(["'onec:counterparties:'", 'onec_returns.counterparty_code']) }} = record_ids.record_key

),

calls as (

    select
        source_record_key,
        customer_id,
        contact_id,
        called_at as occurred_at,
        'telephony' as channel,
        'call' as interaction_type,
        5 as type_rank,
        cast(null as {{ type_string }}) as branch,
        {{ dbt.concat([
            "case direction when 'inbound' then 'Inbound call' when 'outbound' then 'Outbound call' else 'Internal call' end",
            "case when is_answered then ', answered, ' || cast(coalesce(billed_seconds, 0) as " ~ type_string ~ ") || ' s'"
            ~ " else ', ' || lower(coalesce(disposition, 'not answered')) end",
        ]) }} as interaction_summary,
        cast(null as decimal(18, 2)) as amount_kzt

    from {{ ref('fct_calls') }}

),

tickets as (

    select
        source_record_key,
        customer_id,
        contact_id,
        opened_at as occurred_at,
        'support' as channel,
        'ticket' as interaction_type,
        6 as type_rank,
        cast(null as {{ type_string }}) as branch,
        {{ dbt.concat([
            "'Ticket #'", 'cast(ticket_id as ' ~ type_string ~ ')',
            "coalesce(' «' || subject || '»', '')",
            "': '", "coalesce(status, 'no status')",
            "coalesce(', ' || priority, '')",
            "case when is_unresolved_complaint then ', unresolved complaint' else '' end",
            "coalesce(', rated ' || cast(satisfaction_score as " ~ type_string ~ ") || '/5', '')",
        ]) }} as interaction_summary,
        cast(null as decimal(18, 2)) as amount_kzt

    from {{ ref('fct_tickets') }}

),

interactions as (

    select * from deals
    union all
    select * from invoices
    union all
    select * from payments
    union all
    select * from returns_received
    union all
    select * from calls
    union all
    select * from tickets

),

sequenced as (

    select
        source_record_key,
        customer_id,
        contact_id,
        occurred_at,
        channel,
        interaction_type,
        branch,
        interaction_summary,
        amount_kzt,
        case
            when customer_id is not null
                then row_number() over (
                    partition by customer_id
                    order by occurred_at, type_rank, source_record_key
                )
        end as customer_sequence_number

    from interactions

)

select
    cast(source_record_key as {{ type_string }}) as interaction_key,
    cast(source_record_key as {{ type_string }}) as source_record_key,
    cast(customer_id as {{ type_string }}) as customer_id,
    cast(contact_id as {{ type_string }}) as contact_id,
    cast(occurred_at as timestamp with time zone) as occurred_at,
    cast(channel as {{ type_string }}) as channel,
    cast(interaction_type as {{ type_string }}) as interaction_type,
    cast(branch as {{ type_string }}) as branch,
    cast(interaction_summary as {{ type_string }}) as interaction_summary,
    cast(amount_kzt as decimal(18, 2)) as amount_kzt,
    cast(customer_sequence_number as integer) as customer_sequence_number

from sequenced

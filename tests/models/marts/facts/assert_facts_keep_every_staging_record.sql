{#- Records in = records out: every staging record appears exactly once in its fact
    (by source record key), no fact row comes from nowhere, and the timeline holds
    exactly the rows of the facts plus the 1C returns. Returns the offenders. -#}

with

staging_keys as (

    select
        'fct_sales' as fact,
        {{ dbt.concat(["'onec:invoices:'", 'invoice_number']) }} as source_record_key
    from {{ ref('stg_onec__invoices') }}
    union all
    select
        'fct_payments' as fact,
        {{ dbt.concat(["'onec:payments:'", 'payment_number']) }} as source_record_key
    from {{ ref('stg_onec__payments') }}
    union all
    select
        'fct_deals' as fact,
        {{ dbt.concat(["'crm:deals:'", 'branch', "':'", 'cast(deal_id as ' ~ dbt.type_string() ~ ')']) }} as source_record_key
    from {{ ref('stg_crm__deals') }}
    union all
    select
        'fct_calls' as fact,
        {{ dbt.concat(["'telephony:calls:'", 'call_id']) }} as source_record_key
    from {{ ref('stg_telephony__calls') }}
    union all
    select
        'fct_tickets' as fact,
        {{ dbt.concat(["'support:tickets:'", 'cast(ticket_id as ' ~ dbt.type_string() ~ ')']) }} as source_record_key
    from {{ ref('stg_support__tickets') }}

),

fact_keys as (

    select
        'fct_sales' as fact,
        source_record_key
    from {{ ref('fct_sales') }}
    union all
    select
        'fct_payments' as fact,
        source_record_key
    from {{ ref('fct_payments') }}
    union all
    select
        'fct_deals' as fact,
        source_record_key
    from {{ ref('fct_deals') }}
    union all
    select
        'fct_calls' as fact,
        source_record_key
    from {{ ref('fct_calls') }}
    union all
    select
        'fct_tickets' as fact,
        source_record_key
    from {{ ref('fct_tickets') }}

),

timeline_expected as (

    select source_record_key from fact_keys
    union all
    select {{ dbt.concat(["'onec:returns:'", 'return_number']) }} as source_record_key
    from {{ ref('stg_onec__returns') }}

),

staging_counts as (

    select
        fact,
        source_record_key,
        count(*) as staging_rows
    from staging_keys
    group by fact, source_record_key

),

fact_counts as (

    select
        fact,
        source_record_key,
        count(*) as fact_rows
    from fact_keys
    group by fact, source_record_key

),

expected_counts as (

    select
        source_record_key,
        count(*) as expected_rows
    from timeline_expected
    group by source_record_key

),

timeline_counts as (

    select
        source_record_key,
        count(*) as timeline_rows
    from {{ ref('fct_customer_interactions') }}
    group by source_record_key

)

select
    coalesce(staging_counts.fact, fact_counts.fact) as fact,
    coalesce(staging_counts.source_record_key, fact_counts.source_record_key) as source_record_key,
    coalesce(staging_counts.staging_rows, 0) as rows_in,
    coalesce(fact_counts.fact_rows, 0) as rows_out

from staging_counts
full outer join fact_counts
    on
        staging_counts.fact = fact_counts.fact
        and staging_counts.source_record_key = fact_counts.source_record_key
where coalesce(staging_counts.staging_rows, 0) != 1 or coalesce(fact_counts.fact_rows, 0) != 1

union all

select
    'fct_customer_interactions' as fact,
    coalesce(expected_counts.source_record_key, timeline_counts.source_record_key) as source_record_key,
    coalesce(expected_counts.expected_rows, 0) as rows_in,
    coalesce(timeline_counts.timeline_rows, 0) as rows_out

from expected_counts
full outer join timeline_counts
    on expected_counts.source_record_key = timeline_counts.source_record_key
where coalesce(expected_counts.expected_rows, 0) != 1 or coalesce(timeline_counts.timeline_rows, 0) != 1

{#- Every customer, one row each: organisations (legal entities and ИП, their golden
    record by the entity customer rules in seeds/survivorship_rules.csv) and individual
    customers (a person holding a 1C counterparty of kind "Физическое лицо", or a CRM
    contact while none of their records is attached to an organisation; see
    int_golden_entity_summaries), whose fields come from their contact golden record:
    customer_name = full_name, bin_iin = iin, legal_form null. Each field carries the
    source record it came from. The lineage columns come from the golden_record
    macros; the contract in _customers__models.yml lists every column. -#}

with

customer_summaries as (

    select
        stable_id,
        source_record_count,
        crm_record_count,
        onec_record_count,
        telephony_record_count,
        support_record_count,
        source_systems,
        branches,
        first_seen_at,
        last_updated_at,
        case when entity_type = 'organisation' then 'organisation' else 'individual' end as customer_type

    from {{ ref('int_golden_entity_summaries') }}
    where entity_type = 'organisation' or is_individual_customer

),

customer_winners as (

    select
        winners.stable_id,
        winners.field_value,
        winners.source_system,
        winners.source_table,
        winners.source_record_id,
        winners.updated_at,
        winners.field_name

    from {{ ref('int_golden_field_winners') }} as winners
    where winners.entity = 'customer'

    union all

    -- an individual customer's fields are their contact golden record's (same column order)
    select
        winners.stable_id,
        winners.field_value,
        winners.source_system,
        winners.source_table,
        winners.source_record_id,
        winners.updated_at,
        case winners.field_name
            when 'full_name' then 'customer_name'
            when 'iin' then 'bin_iin'
            else winners.field_name
        end as field_name

    from {{ ref('int_golden_field_winners') }} as winners
    inner join customer_summaries
        on winners.stable_id = customer_summaries.stable_id
    where
        winners.entity = 'contact'
        and winners.field_name in ('full_name', 'iin', 'phone_e164', 'email', 'city', 'address')

),

fields_pivoted as (

    select
        stable_id,
        {{ golden_fields_pivot(['customer_name', 'legal_form', 'bin_iin', 'phone_e164', 'email', 'city', 'address']) }}

    from customer_winners
    group by stable_id

),

conflicts_per_customer as (

    select
        conflicts.stable_id,
        max(case when conflicts.field_name in ('bin_iin', 'iin') then 1 else 0 end) = 1 as has_conflicting_bin_iin,
        string_agg(
            {{ dbt.concat(['conflicts.field_name', "': '", 'conflicts.conflicting_values']) }}, '; '
            order by conflicts.field_name
        ) as conflicts

    from {{ ref('int_golden_field_conflicts') }} as conflicts
    inner join customer_summaries
        on conflicts.stable_id = customer_summaries.stable_id
    where conflicts.field_name in ('bin_iin', 'iin')
    group by conflicts.stable_id

),

customers as (

    select
        cast(customer_summaries.stable_id as {{ dbt.type_string() }}) as customer_id,
        cast(customer_summaries.customer_type as {{ dbt.type_string() }}) as customer_type,
        cast(fields_pivoted.customer_name as {{ dbt.type_string() }}) as customer_name,
        cast(fields_pivoted.legal_form as {{ dbt.type_string() }}) as legal_form,
        cast(fields_pivoted.bin_iin as {{ dbt.type_string() }}) as bin_iin,
        cast(fields_pivoted.phone_e164 as {{ dbt.type_string() }}) as phone_e164,
        cast(fields_pivoted.email as {{ dbt.type_string() }}) as email,
        cast(fields_pivoted.city as {{ dbt.type_string() }}) as city,
        cast(fields_pivoted.address as {{ dbt.type_string() }}) as address,
        cast(customer_summaries.source_record_count as integer) as source_record_count,
        cast(customer_summaries.crm_record_count as integer) as crm_record_count,
        cast(customer_summaries.onec_record_count as integer) as onec_record_count,
        cast(customer_summaries.telephony_record_count as integer) as telephony_record_count,
        cast(customer_summaries.support_record_count as integer) as support_record_count,
        cast(customer_summaries.source_systems as {{ dbt.type_string() }}) as source_systems,
        cast(customer_summaries.branches as {{ dbt.type_string() }}) as branches,
        cast(customer_summaries.first_seen_at as timestamp with time zone) as first_seen_at,
        cast(customer_summaries.last_updated_at as timestamp with time zone) as last_updated_at,
        cast(coalesce(conflicts_per_customer.has_conflicting_bin_iin, false) as boolean) as has_conflicting_bin_iin,
        cast(conflicts_per_customer.conflicts as {{ dbt.type_string() }}) as conflicts,
        {{ golden_lineage_columns(['customer_name', 'legal_form', 'bin_iin', 'phone_e164', 'email', 'city', 'address'], 'fields_pivoted') }}

    from customer_summaries
    left join fields_pivoted
        on customer_summaries.stable_id = fields_pivoted.stable_id
    left join conflicts_per_customer
        on customer_summaries.stable_id = conflicts_per_customer.stable_id

)

select * from customers

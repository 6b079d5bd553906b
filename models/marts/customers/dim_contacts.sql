{#- The golden record of every person: one row per active person stable id, each
    field chosen by its rule in seeds/survivorship_rules.csv (entity contact), with
    the source record it came from (<field>__source_system / __source_table /
    __source_record_id / __updated_at), and the IIN / birth date disagreements shown.
    The lineage columns come from the golden_record macros; the contract in
    _customers__models.yml lists every column. -#}

with

contact_winners as (

    select
        stable_id,
        field_name,
        field_value,
        source_system,
        source_table,
        source_record_id,
        updated_at

    from {{ ref('int_golden_field_winners') }}
    where entity = 'contact'

),

fields_pivoted as (

    select
        stable_id,
        {{ golden_fields_pivot([
            'full_name', 'first_name', 'last_name', 'middle_name', 'phone_e164', 'email',
            'iin', 'birth_date', 'sex', 'city', 'address', 'customer_id',
        ]) }}

    from contact_winners
    group by stable_id

),

conflicts_per_contact as (

    select
        stable_id,
        max(case when field_name = 'iin' then 1 else 0 end) = 1 as has_conflicting_iin,
        max(case when field_name = 'birth_date' then 1 else 0 end) = 1 as has_conflicting_birth_date,
        string_agg(
            {{ dbt.concat(['field_name', "': '", 'conflicting_values']) }}, '; ' order by field_name
        ) as conflicts

    from {{ ref('int_golden_field_conflicts') }}
    where entity = 'contact'
    group by stable_id

),

person_summaries as (

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
        is_individual_customer

    from {{ ref('int_golden_entity_summaries') }}
    where entity_type = 'person'

),

contacts as (

    select
        cast(person_summaries.stable_id as {{ dbt.type_string() }}) as contact_id,
        cast(fields_pivoted.full_name as {{ dbt.type_string() }}) as full_name,
        cast(fields_pivoted.first_name as {{ dbt.type_string() }}) as first_name,
        cast(fields_pivoted.last_name as {{ dbt.type_string() }}) as last_name,
        cast(fields_pivoted.middle_name as {{ dbt.type_string() }}) as middle_name,
        cast(fields_pivoted.phone_e164 as {{ dbt.type_string() }}) as phone_e164,
        cast(fields_pivoted.email as {{ dbt.type_string() }}) as email,
        cast(fields_pivoted.iin as {{ dbt.type_string() }}) as iin,
        cast(fields_pivoted.birth_date as date) as birth_date,
        cast(fields_pivoted.sex as {{ dbt.type_string() }}) as sex,
        cast(fields_pivoted.city as {{ dbt.type_string() }}) as city,
        cast(fields_pivoted.address as {{ dbt.type_string() }}) as address,
        cast(fields_pivoted.customer_id as {{ dbt.type_string() }}) as customer_id,
        cast(person_summaries.is_individual_customer as boolean) as is_individual_customer,
        cast(person_summaries.source_record_count as integer) as source_record_count,
        cast(person_summaries.crm_record_count as integer) as crm_record_count,
        cast(person_summaries.onec_record_count as integer) as onec_record_count,
        cast(person_summaries.telephony_record_count as integer) as attributed_call_count,
        cast(person_summaries.support_record_count as integer) as attributed_ticket_count,
        cast(person_summaries.source_systems as {{ dbt.type_string() }}) as source_systems,
        cast(person_summaries.branches as {{ dbt.type_string() }}) as branches,
        cast(person_summaries.first_seen_at as timestamp with time zone) as first_seen_at,
        cast(person_summaries.last_updated_at as timestamp with time zone) as last_updated_at,
        cast(coalesce(conflicts_per_contact.has_conflicting_iin, false) as boolean) as has_conflicting_iin,
        cast(coalesce(conflicts_per_contact.has_conflicting_birth_date, false) as boolean) as has_conflicting_birth_date,
        cast(conflicts_per_contact.conflicts as {{ dbt.type_string() }}) as conflicts,
        {{ golden_lineage_columns([
            'full_name', 'first_name', 'last_name', 'middle_name', 'phone_e164', 'email',
            'iin', 'birth_date', 'sex', 'city', 'address', 'customer_id',
        ], 'fields_pivoted') }}

    from person_summaries
    left join fields_pivoted
        on person_summaries.stable_id = fields_pivoted.stable_id
    left join conflicts_per_contact
        on person_summaries.stable_id = conflicts_per_contact.stable_id

)

select * from contacts

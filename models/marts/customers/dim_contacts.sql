{#- The golden record of every person: one row per active person stable id, each
    field chosen by its rule in seeds/survivorship_rules.csv (entity contact), with
    the source record it came from (<field>__source_system / __source_table /
    __source_record_id / __updated_at), and the IIN / birth date disagreements shown.
    The columns are written out, not looped, so that the contract reads as SQL. -#}

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
        max(case when field_name = 'full_name' then field_value end) as full_name,
        max(case when field_name = 'full_name' then source_system end) as full_name__source_system,
        max(case when field_name = 'full_name' then source_table end) as full_name__source_table,
        max(case when field_name = 'full_name' then source_record_id end) as full_name__source_record_id,
        max(case when field_name = 'full_name' then updated_at end) as full_name__updated_at,
        max(case when field_name = 'first_name' then field_value end) as first_name,
        max(case when field_name = 'first_name' then source_system end) as first_name__source_system,
        max(case when field_name = 'first_name' then source_table end) as first_name__source_table,
        max(case when field_name = 'first_name' then source_record_id end) as first_name__source_record_id,
        max(case when field_name = 'first_name' then updated_at end) as first_name__updated_at,
        max(case when field_name = 'last_name' then field_value end) as last_name,
        max(case when field_name = 'last_name' then source_system end) as last_name__source_system,
        max(case when field_name = 'last_name' then source_table end) as last_name__source_table,
        max(case when field_name = 'last_name' then source_record_id end) as last_name__source_record_id,
        max(case when field_name = 'last_name' then updated_at end) as last_name__updated_at,
        max(case when field_name = 'middle_name' then field_value end) as middle_name,
        max(case when field_name = 'middle_name' then source_system end) as middle_name__source_system,
        max(case when field_name = 'middle_name' then source_table end) as middle_name__source_table,
        max(case when field_name = 'middle_name' then source_record_id end) as middle_name__source_record_id,
        max(case when field_name = 'middle_name' then updated_at end) as middle_name__updated_at,
        max(case when field_name = 'phone_e164' then field_value end) as phone_e164,
        max(case when field_name = 'phone_e164' then source_system end) as phone_e164__source_system,
        max(case when field_name = 'phone_e164' then source_table end) as phone_e164__source_table,
        max(case when field_name = 'phone_e164' then source_record_id end) as phone_e164__source_record_id,
        max(case when field_name = 'phone_e164' then updated_at end) as phone_e164__updated_at,
        max(case when field_name = 'email' then field_value end) as email,
        max(case when field_name = 'email' then source_system end) as email__source_system,
        max(case when field_name = 'email' then source_table end) as email__source_table,
        max(case when field_name = 'email' then source_record_id end) as email__source_record_id,
        max(case when field_name = 'email' then updated_at end) as email__updated_at,
        max(case when field_name = 'iin' then field_value end) as iin,
        max(case when field_name = 'iin' then source_system end) as iin__source_system,
        max(case when field_name = 'iin' then source_table end) as iin__source_table,
        max(case when field_name = 'iin' then source_record_id end) as iin__source_record_id,
        max(case when field_name = 'iin' then updated_at end) as iin__updated_at,
        max(case when field_name = 'birth_date' then field_value end) as birth_date,
        max(case when field_name = 'birth_date' then source_system end) as birth_date__source_system,
        max(case when field_name = 'birth_date' then source_table end) as birth_date__source_table,
        max(case when field_name = 'birth_date' then source_record_id end) as birth_date__source_record_id,
        max(case when field_name = 'birth_date' then updated_at end) as birth_date__updated_at,
        max(case when field_name = 'sex' then field_value end) as sex,
        max(case when field_name = 'sex' then source_system end) as sex__source_system,
        max(case when field_name = 'sex' then source_table end) as sex__source_table,
        max(case when field_name = 'sex' then source_record_id end) as sex__source_record_id,
        max(case when field_name = 'sex' then updated_at end) as sex__updated_at,
        max(case when field_name = 'city' then field_value end) as city,
        max(case when field_name = 'city' then source_system end) as city__source_system,
        max(case when field_name = 'city' then source_table end) as city__source_table,
        max(case when field_name = 'city' then source_record_id end) as city__source_record_id,
        max(case when field_name = 'city' then updated_at end) as city__updated_at,
        max(case when field_name = 'address' then field_value end) as address,
        max(case when field_name = 'address' then source_system end) as address__source_system,
        max(case when field_name = 'address' then source_table end) as address__source_table,
        max(case when field_name = 'address' then source_record_id end) as address__source_record_id,
        max(case when field_name = 'address' then updated_at end) as address__updated_at,
        max(case when field_name = 'customer_id' then field_value end) as customer_id,
        max(case when field_name = 'customer_id' then source_system end) as customer_id__source_system,
        max(case when field_name = 'customer_id' then source_table end) as customer_id__source_table,
        max(case when field_name = 'customer_id' then source_record_id end) as customer_id__source_record_id,
        max(case when field_name = 'customer_id' then updated_at end) as customer_id__updated_at

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
        cast(fields_pivoted.full_name__source_system as {{ dbt.type_string() }}) as full_name__source_system,
        cast(fields_pivoted.full_name__source_table as {{ dbt.type_string() }}) as full_name__source_table,
        cast(fields_pivoted.full_name__source_record_id as {{ dbt.type_string() }}) as full_name__source_record_id,
        cast(fields_pivoted.full_name__updated_at as timestamp with time zone) as full_name__updated_at,
        cast(fields_pivoted.first_name__source_system as {{ dbt.type_string() }}) as first_name__source_system,
        cast(fields_pivoted.first_name__source_table as {{ dbt.type_string() }}) as first_name__source_table,
        cast(fields_pivoted.first_name__source_record_id as {{ dbt.type_string() }}) as first_name__source_record_id,
        cast(fields_pivoted.first_name__updated_at as timestamp with time zone) as first_name__updated_at,
        cast(fields_pivoted.last_name__source_system as {{ dbt.type_string() }}) as last_name__source_system,
        cast(fields_pivoted.last_name__source_table as {{ dbt.type_string() }}) as last_name__source_table,
        cast(fields_pivoted.last_name__source_record_id as {{ dbt.type_string() }}) as last_name__source_record_id,
        cast(fields_pivoted.last_name__updated_at as timestamp with time zone) as last_name__updated_at,
        cast(fields_pivoted.middle_name__source_system as {{ dbt.type_string() }}) as middle_name__source_system,
        cast(fields_pivoted.middle_name__source_table as {{ dbt.type_string() }}) as middle_name__source_table,
        cast(fields_pivoted.middle_name__source_record_id as {{ dbt.type_string() }}) as middle_name__source_record_id,
        cast(fields_pivoted.middle_name__updated_at as timestamp with time zone) as middle_name__updated_at,
        cast(fields_pivoted.phone_e164__source_system as {{ dbt.type_string() }}) as phone_e164__source_system,
        cast(fields_pivoted.phone_e164__source_table as {{ dbt.type_string() }}) as phone_e164__source_table,
        cast(fields_pivoted.phone_e164__source_record_id as {{ dbt.type_string() }}) as phone_e164__source_record_id,
        cast(fields_pivoted.phone_e164__updated_at as timestamp with time zone) as phone_e164__updated_at,
        cast(fields_pivoted.email__source_system as {{ dbt.type_string() }}) as email__source_system,
        cast(fields_pivoted.email__source_table as {{ dbt.type_string() }}) as email__source_table,
        cast(fields_pivoted.email__source_record_id as {{ dbt.type_string() }}) as email__source_record_id,
        cast(fields_pivoted.email__updated_at as timestamp with time zone) as email__updated_at,
        cast(fields_pivoted.iin__source_system as {{ dbt.type_string() }}) as iin__source_system,
        cast(fields_pivoted.iin__source_table as {{ dbt.type_string() }}) as iin__source_table,
        cast(fields_pivoted.iin__source_record_id as {{ dbt.type_string() }}) as iin__source_record_id,
        cast(fields_pivoted.iin__updated_at as timestamp with time zone) as iin__updated_at,
        cast(fields_pivoted.birth_date__source_system as {{ dbt.type_string() }}) as birth_date__source_system,
        cast(fields_pivoted.birth_date__source_table as {{ dbt.type_string() }}) as birth_date__source_table,
        cast(fields_pivoted.birth_date__source_record_id as {{ dbt.type_string() }}) as birth_date__source_record_id,
        cast(fields_pivoted.birth_date__updated_at as timestamp with time zone) as birth_date__updated_at,
        cast(fields_pivoted.sex__source_system as {{ dbt.type_string() }}) as sex__source_system,
        cast(fields_pivoted.sex__source_table as {{ dbt.type_string() }}) as sex__source_table,
        cast(fields_pivoted.sex__source_record_id as {{ dbt.type_string() }}) as sex__source_record_id,
        cast(fields_pivoted.sex__updated_at as timestamp with time zone) as sex__updated_at,
        cast(fields_pivoted.city__source_system as {{ dbt.type_string() }}) as city__source_system,
        cast(fields_pivoted.city__source_table as {{ dbt.type_string() }}) as city__source_table,
        cast(fields_pivoted.city__source_record_id as {{ dbt.type_string() }}) as city__source_record_id,
        cast(fields_pivoted.city__updated_at as timestamp with time zone) as city__updated_at,
        cast(fields_pivoted.address__source_system as {{ dbt.type_string() }}) as address__source_system,
        cast(fields_pivoted.address__source_table as {{ dbt.type_string() }}) as address__source_table,
        cast(fields_pivoted.address__source_record_id as {{ dbt.type_string() }}) as address__source_record_id,
        cast(fields_pivoted.address__updated_at as timestamp with time zone) as address__updated_at,
        cast(fields_pivoted.customer_id__source_system as {{ dbt.type_string() }}) as customer_id__source_system,
        cast(fields_pivoted.customer_id__source_table as {{ dbt.type_string() }}) as customer_id__source_table,
        cast(fields_pivoted.customer_id__source_record_id as {{ dbt.type_string() }}) as customer_id__source_record_id,
        cast(fields_pivoted.customer_id__updated_at as timestamp with time zone) as customer_id__updated_at

    from person_summaries
    left join fields_pivoted
        on person_summaries.stable_id = fields_pivoted.stable_id
    left join conflicts_per_contact
        on person_summaries.stable_id = conflicts_per_contact.stable_id

)

select
    contact_id,
    full_name,
    first_name,
    last_name,
    middle_name,
    phone_e164,
    email,
    iin,
    birth_date,
    sex,
    city,
    address,
    customer_id,
    is_individual_customer,
    source_record_count,
    crm_record_count,
    onec_record_count,
    attributed_call_count,
    attributed_ticket_count,
    source_systems,
    branches,
    first_seen_at,
    last_updated_at,
    has_conflicting_iin,
    has_conflicting_birth_date,
    conflicts,
    full_name__source_system,
    full_name__source_table,
    full_name__source_record_id,
    full_name__updated_at,
    first_name__source_system,
    first_name__source_table,
    first_name__source_record_id,
    first_name__updated_at,
    last_name__source_system,
    last_name__source_table,
    last_name__source_record_id,
    last_name__updated_at,
    middle_name__source_system,
    middle_name__source_table,
    middle_name__source_record_id,
    middle_name__updated_at,
    phone_e164__source_system,
    phone_e164__source_table,
    phone_e164__source_record_id,
    phone_e164__updated_at,
    email__source_system,
    email__source_table,
    email__source_record_id,
    email__updated_at,
    iin__source_system,
    iin__source_table,
    iin__source_record_id,
    iin__updated_at,
    birth_date__source_system,
    birth_date__source_table,
    birth_date__source_record_id,
    birth_date__updated_at,
    sex__source_system,
    sex__source_table,
    sex__source_record_id,
    sex__updated_at,
    city__source_system,
    city__source_table,
    city__source_record_id,
    city__updated_at,
    address__source_system,
    address__source_table,
    address__source_record_id,
    address__updated_at,
    customer_id__source_system,
    customer_id__source_table,
    customer_id__source_record_id,
    customer_id__updated_at

from contacts

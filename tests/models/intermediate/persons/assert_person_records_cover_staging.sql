-- Every staging record that describes a person appears exactly once in
-- int_person_records_unioned, and nothing else does (records in = records unioned).
with

staging_records as (

    select {{ dbt.concat(["'crm:contacts:'", 'branch', "':'", 'cast(contact_id as ' ~ dbt.type_string() ~ ')']) }} as record_key
    from {{ ref('stg_crm__contacts') }}
    union all
    select {{ dbt.concat(["'onec:contact_persons:'", 'contact_person_code']) }}
    from {{ ref('stg_onec__contact_persons') }}
    union all
    select {{ dbt.concat(["'onec:counterparties:'", 'counterparty_code']) }}
    from {{ ref('stg_onec__counterparties') }}
    where counterparty_type = 'individual'
    union all
    select {{ dbt.concat(["'telephony:calls:'", 'call_id']) }}
    from {{ ref('stg_telephony__calls') }}
    union all
    select {{ dbt.concat(["'support:tickets:'", 'cast(ticket_id as ' ~ dbt.type_string() ~ ')']) }}
    from {{ ref('stg_support__tickets') }}

),

tallied as (

    select
        record_key,
        sum(in_staging) as staging_count,
        sum(in_union) as unioned_count
    from (
        select record_key, 1 as in_staging, 0 as in_union from staging_records
        union all
        select record_key, 0 as in_staging, 1 as in_union from {{ ref('int_person_records_unioned') }}
    ) as both_sides
    group by record_key

)

select record_key, staging_count, unioned_count
from tallied
where staging_count <> 1 or unioned_count <> 1

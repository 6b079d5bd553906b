{#- One row per source record that describes a person, in one shape for identity
    resolution. An ИП counterparty is an organisation record only (see the yml). -#}

with

crm_contacts as (

    select
        'crm' as source_system,
        'contacts' as source_table,
        {{ dbt.concat(['branch', "':'", 'cast(contact_id as ' ~ dbt.type_string() ~ ')']) }} as source_record_id,
        branch,
        full_name,
        first_name,
        last_name,
        middle_name,
        phone_e164,
        phones_e164,
        email,
        iin,
        iin_is_valid,
        coalesce(birth_date, iin_birth_date) as birth_date,
        iin_sex as sex,
        city,
        address,
        address_2,
        postcode,
        case
            when company_id is not null
                then {{ dbt.concat(["'crm:companies:'", 'branch', "':'", 'cast(company_id as ' ~ dbt.type_string() ~ ')']) }}
        end as organisation_record_key,
        updated_at

    from {{ ref('stg_crm__contacts') }}

),

onec_counterparties as (

    select
        counterparty_code,
        counterparty_type,
        counterparty_name,
        bin_iin,
        bin_iin_is_valid,
        iin_birth_date,
        iin_sex,
        phone_e164,
        phones_e164,
        email,
        city,
        address,
        postcode,
        birth_date,
        updated_at

    from {{ ref('stg_onec__counterparties') }}

),

onec_contact_persons as (

    -- 1C writes ФИО as "Фамилия Имя Отчество"
    select
        'onec' as source_system,
        'contact_persons' as source_table,
        contact_persons.contact_person_code as source_record_id,
        cast(null as {{ dbt.type_string() }}) as branch,
        contact_persons.full_name,
        nullif({{ dbt.split_part('contact_persons.full_name', "' '", 2) }}, '') as first_name,
        nullif({{ dbt.split_part('contact_persons.full_name', "' '", 1) }}, '') as last_name,
        nullif({{ dbt.split_part('contact_persons.full_name', "' '", 3) }}, '') as middle_name,
        contact_persons.phone_e164,
        contact_persons.phones_e164,
        contact_persons.email,
        cast(null as {{ dbt.type_string() }}) as iin,
        cast(null as boolean) as iin_is_valid,
        contact_persons.birth_date,
        cast(null as {{ dbt.type_string() }}) as sex,
        cast(null as {{ dbt.type_string() }}) as city,
        cast(null as {{ dbt.type_string() }}) as address,
        cast(null as {{ dbt.type_string() }}) as address_2,
        cast(null as {{ dbt.type_string() }}) as postcode,
        -- only organisations are organisation records; a private person's contact has none
        case
            when counterparties.counterparty_type in ('legal_entity', 'sole_proprietor')
                then {{ dbt.concat(["'onec:counterparties:'", 'contact_persons.counterparty_code']) }}
        end as organisation_record_key,
        contact_persons.updated_at

    from {{ ref('stg_onec__contact_persons') }} as contact_persons
    left join onec_counterparties as counterparties
        on contact_persons.counterparty_code = counterparties.counterparty_code

),

onec_private_persons as (

    select
        'onec' as source_system,
        'counterparties' as source_table,
        counterparty_code as source_record_id,
        cast(null as {{ dbt.type_string() }}) as branch,
        counterparty_name as full_name,
        nullif({{ dbt.split_part('counterparty_name', "' '", 2) }}, '') as first_name,
        nullif({{ dbt.split_part('counterparty_name', "' '", 1) }}, '') as last_name,
        nullif({{ dbt.split_part('counterparty_name', "' '", 3) }}, '') as middle_name,
        phone_e164,
        phones_e164,
        email,
        bin_iin as iin,
        bin_iin_is_valid as iin_is_valid,
        -- 1C keeps a private person's birth date; the IIN's is the fallback
        coalesce(birth_date, iin_birth_date) as birth_date,
        iin_sex as sex,
        city,
        address,
        cast(null as {{ dbt.type_string() }}) as address_2,
        postcode,
        cast(null as {{ dbt.type_string() }}) as organisation_record_key,
        updated_at

    from onec_counterparties
    where counterparty_type = 'individual'

),

telephony_callers as (

    -- the caller-ID name is "Имя Фамилия"; most calls carry only the number
    select
        'telephony' as source_system,
        'calls' as source_table,
        call_id as source_record_id,
        cast(null as {{ dbt.type_string() }}) as branch,
        caller_name as full_name,
        nullif({{ dbt.split_part('caller_name', "' '", 1) }}, '') as first_name,
        nullif({{ dbt.split_part('caller_name', "' '", 2) }}, '') as last_name,
        cast(null as {{ dbt.type_string() }}) as middle_name,
        customer_phone_e164 as phone_e164,
        case
            when customer_phone_e164 is not null then [customer_phone_e164]
            else cast([] as {{ dbt.type_string() }}[])  -- noqa: LT01
        end as phones_e164,
        cast(null as {{ dbt.type_string() }}) as email,
        cast(null as {{ dbt.type_string() }}) as iin,
        cast(null as boolean) as iin_is_valid,
        cast(null as date) as birth_date,
        cast(null as {{ dbt.type_string() }}) as sex,
        cast(null as {{ dbt.type_string() }}) as city,
        cast(null as {{ dbt.type_string() }}) as address,
        cast(null as {{ dbt.type_string() }}) as address_2,
        cast(null as {{ dbt.type_string() }}) as postcode,
        cast(null as {{ dbt.type_string() }}) as organisation_record_key,
        called_at as updated_at

    from {{ ref('stg_telephony__calls') }}

),

ticket_requesters as (

    select
        'support' as source_system,
        'tickets' as source_table,
        cast(ticket_id as {{ dbt.type_string() }}) as source_record_id,
        cast(null as {{ dbt.type_string() }}) as branch,
        requester_name as full_name,
        nullif({{ dbt.split_part('requester_name', "' '", 1) }}, '') as first_name,
        nullif({{ dbt.split_part('requester_name', "' '", 2) }}, '') as last_name,
        cast(null as {{ dbt.type_string() }}) as middle_name,
        requester_phone_e164 as phone_e164,
        case
            when requester_phone_e164 is not null then [requester_phone_e164]
            else cast([] as {{ dbt.type_string() }}[])  -- noqa: LT01
        end as phones_e164,
        requester_email as email,
        cast(null as {{ dbt.type_string() }}) as iin,
        cast(null as boolean) as iin_is_valid,
        cast(null as date) as birth_date,
        cast(null as {{ dbt.type_string() }}) as sex,
        cast(null as {{ dbt.type_string() }}) as city,
        cast(null as {{ dbt.type_string() }}) as address,
        cast(null as {{ dbt.type_string() }}) as address_2,
        cast(null as {{ dbt.type_string() }}) as postcode,
        cast(null as {{ dbt.type_string() }}) as organisation_record_key,
        updated_at

    from {{ ref('stg_support__tickets') }}

),

person_records as (

    select * from crm_contacts
    union all
    select * from onec_contact_persons
    union all
    select * from onec_private_persons
    union all
    select * from telephony_callers
    union all
    select * from ticket_requesters

),

keyed as (

    select
        {{ dbt.concat(['source_system', "':'", 'source_table', "':'", 'source_record_id']) }} as record_key,
        source_system,
        source_table,
        source_record_id,
        branch,
        full_name,
        first_name,
        last_name,
        middle_name,
        {{ normalize_name('full_name') }} as name_key,
        {{ translit_key('full_name') }} as name_translit_key,
        phone_e164,
        phones_e164,
        email,
        {{ email_is_generic('email') }} as email_is_generic,
        {{ email_is_public_domain('email') }} as email_is_public,
        iin,
        iin_is_valid,
        birth_date,
        sex,
        city,
        {{ translit_key('city') }} as city_translit_key,
        address,
        address_2,
        -- the street line and its second line as one text: systems split them apart
        {{ translit_key("concat_ws(' ', address, address_2)") }} as address_translit_key,
        postcode,
        organisation_record_key,
        updated_at

    from person_records

)

select * from keyed

{#- One row per source record that describes an organisation (legal entity or ИП),
    in one shape for identity resolution. -#}

with

crm_companies as (

    select
        'crm' as source_system,
        'companies' as source_table,
        {{ dbt.concat(['branch', "':'", 'cast(company_id as ' ~ dbt.type_string() ~ ')']) }} as source_record_id,
        branch,
        company_name as organisation_name,
        company_name_core as name_core,
        legal_form,
        bin,
        bin_is_valid,
        phone_e164,
        phones_e164,
        email,
        city,
        address,
        address_2,
        postcode,
        updated_at

    from {{ ref('stg_crm__companies') }}

),

onec_organisations as (

    select
        'onec' as source_system,
        'counterparties' as source_table,
        counterparty_code as source_record_id,
        cast(null as {{ dbt.type_string() }}) as branch,
        counterparty_name as organisation_name,
        counterparty_name_core as name_core,
        legal_form,
        bin_iin as bin,
        bin_iin_is_valid as bin_is_valid,
        phone_e164,
        phones_e164,
        email,
        city,
        address,
        cast(null as {{ dbt.type_string() }}) as address_2,
        postcode,
        updated_at

    from {{ ref('stg_onec__counterparties') }}
    where counterparty_type in ('legal_entity', 'sole_proprietor')

),

organisation_records as (

    select * from crm_companies
    union all
    select * from onec_organisations

),

keyed as (

    select
        {{ dbt.concat(['source_system', "':'", 'source_table', "':'", 'source_record_id']) }} as record_key,
        source_system,
        source_table,
        source_record_id,
        branch,
        organisation_name,
        name_core,
        legal_form,
        -- spaces and hyphens dropped: "АтамекенКапитал" and "Атамекен-Капитал" compare equal
        nullif(regexp_replace(name_core, '[^\p{L}\p{N}]', '', 'g'), '') as name_key,
        nullif(replace({{ translit_key('name_core') }}, ' ', ''), '') as name_translit_key,
        bin,
        bin_is_valid,
        phone_e164,
        phones_e164,
        email,
        {{ email_domain('email') }} as email_domain,
        {{ email_is_generic('email') }} as email_is_generic,
        {{ email_is_public_domain('email') }} as email_is_public,
        city,
        {{ translit_key('city') }} as city_translit_key,
        address,
        address_2,
        {{ translit_key("concat_ws(' ', address, address_2)") }} as address_translit_key,
        postcode,
        updated_at

    from organisation_records

)

select * from keyed

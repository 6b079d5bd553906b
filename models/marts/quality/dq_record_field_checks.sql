{#- One row per (customer record, identifying field the record's table carries): is the
    field filled, and, where a rule exists, does the value pass it. The records are
    those of int_person_records_unioned and int_organisation_records_unioned (same
    record_key); the values are read from staging, before normalisation drops what it
    cannot read, so that "filled but invalid" stays visible. No values, only flags. -#}

{#- filled = something typed: not null and not blank ('' is checked again here so the
    measure does not depend on staging having cleaned it) -#}
{%- set filled = "(nullif(trim(cast(%s as " ~ dbt.type_string() ~ ")), '') is not null)" -%}
{%- set filled_list = "(coalesce(len(list_filter(%s, lambda v: nullif(trim(v), '') is not null)), 0) > 0)" -%}

{%- set fields = ['name', 'phone', 'email', 'iin_bin', 'birth_date', 'city', 'address'] -%}
{#- the fields with a validity rule: phone (valid E.164), e-mail (valid shape), IIN/BIN (checksum) -#}
{%- set rule_fields = ['phone', 'email', 'iin_bin'] -%}

with

crm_contacts as (

    select
        {{ dbt.concat(["'crm:contacts:'", 'branch', "':'", 'cast(contact_id as ' ~ dbt.type_string() ~ ')']) }} as record_key,
        'crm' as source_system,
        'contacts' as source_table,
        {{ filled | format('full_name') }} as name_filled,
        cast(null as boolean) as name_valid,
        {{ filled_list | format('phones_raw') }} as phone_filled,
        coalesce({{ phone_is_valid('phone_e164') }}, false) as phone_valid,
        {{ filled_list | format('emails_raw') }} as email_filled,
        email is not null as email_valid,
        {{ filled | format('iin') }} as iin_bin_filled,
        coalesce(iin_is_valid, false) as iin_bin_valid,
        birth_date is not null as birth_date_filled,
        cast(null as boolean) as birth_date_valid,
        {{ filled | format('city') }} as city_filled,
        cast(null as boolean) as city_valid,
        {{ filled | format('address') }} as address_filled,
        cast(null as boolean) as address_valid

    from {{ ref('stg_crm__contacts') }}

),

crm_companies as (

    select
        {{ dbt.concat(["'crm:companies:'", 'branch', "':'", 'cast(company_id as ' ~ dbt.type_string() ~ ')']) }} as record_key,
        'crm' as source_system,
        'companies' as source_table,
        {{ filled | format('company_name') }} as name_filled,
        cast(null as boolean) as name_valid,
        {{ filled_list | format('phones_raw') }} as phone_filled,
        coalesce({{ phone_is_valid('phone_e164') }}, false) as phone_valid,
        {{ filled_list | format('emails_raw') }} as email_filled,
        email is not null as email_valid,
        {{ filled | format('bin') }} as iin_bin_filled,
        coalesce(bin_is_valid, false) as iin_bin_valid,
        -- organisations have no birth date
        cast(null as boolean) as birth_date_filled,
        cast(null as boolean) as birth_date_valid,
        {{ filled | format('city') }} as city_filled,
        cast(null as boolean) as city_valid,
        {{ filled | format('address') }} as address_filled,
        cast(null as boolean) as address_valid

    from {{ ref('stg_crm__companies') }}

),

onec_counterparties as (

    -- every kind that is a customer record: private persons, legal entities, ИП
    select
        {{ dbt.concat(["'onec:counterparties:'", 'counterparty_code']) }} as record_key,
        'onec' as source_system,
        'counterparties' as source_table,
        {{ filled | format('counterparty_name') }} as name_filled,
        cast(null as boolean) as name_valid,
        {{ filled | format('phone_raw') }} as phone_filled,
        coalesce({{ phone_is_valid('phone_e164') }}, false) as phone_valid,
        {{ filled | format('email_raw') }} as email_filled,
        email is not null as email_valid,
        {{ filled | format('bin_iin') }} as iin_bin_filled,
        coalesce(bin_iin_is_valid, false) as iin_bin_valid,
        -- 1C keeps no birth date on a counterparty (a private person's comes from the IIN)
        cast(null as boolean) as birth_date_filled,
        cast(null as boolean) as birth_date_valid,
        {{ filled | format('city') }} as city_filled,
        cast(null as boolean) as city_valid,
        {{ filled | format('address') }} as address_filled,
        cast(null as boolean) as address_valid

    from {{ ref('stg_onec__counterparties') }}
    where counterparty_type in ('individual', 'legal_entity', 'sole_proprietor')

),

onec_contact_persons as (

    select
        {{ dbt.concat(["'onec:contact_persons:'", 'contact_person_code']) }} as record_key,
        'onec' as source_system,
        'contact_persons' as source_table,
        {{ filled | format('full_name') }} as name_filled,
        cast(null as boolean) as name_valid,
        {{ filled | format('phone_raw') }} as phone_filled,
        coalesce({{ phone_is_valid('phone_e164') }}, false) as phone_valid,
        {{ filled | format('email_raw') }} as email_filled,
        email is not null as email_valid,
        cast(null as boolean) as iin_bin_filled,
        cast(null as boolean) as iin_bin_valid,
        birth_date is not null as birth_date_filled,
        cast(null as boolean) as birth_date_valid,
        cast(null as boolean) as city_filled,
        cast(null as boolean) as city_valid,
        cast(null as boolean) as address_filled,
        cast(null as boolean) as address_valid

    from {{ ref('stg_onec__contact_persons') }}

),

telephony_calls as (

    -- the customer's side of the call: the caller-ID name and the customer's number
    select
        {{ dbt.concat(["'telephony:calls:'", 'call_id']) }} as record_key,
        'telephony' as source_system,
        'calls' as source_table,
        {{ filled | format('caller_name') }} as name_filled,
        cast(null as boolean) as name_valid,
        {{ filled | format('customer_phone_raw') }} as phone_filled,
        coalesce(customer_phone_is_valid, false) as phone_valid,
        cast(null as boolean) as email_filled,
        cast(null as boolean) as email_valid,
        cast(null as boolean) as iin_bin_filled,
        cast(null as boolean) as iin_bin_valid,
        cast(null as boolean) as birth_date_filled,
        cast(null as boolean) as birth_date_valid,
        cast(null as boolean) as city_filled,
        cast(null as boolean) as city_valid,
        cast(null as boolean) as address_filled,
        cast(null as boolean) as address_valid

    from {{ ref('stg_telephony__calls') }}

),

support_tickets as (

    select
        {{ dbt.concat(["'support:tickets:'", 'cast(ticket_id as ' ~ dbt.type_string() ~ ')']) }} as record_key,
        'support' as source_system,
        'tickets' as source_table,
        {{ filled | format('requester_name') }} as name_filled,
        cast(null as boolean) as name_valid,
        {{ filled | format('requester_phone_raw') }} as phone_filled,
        coalesce(requester_phone_is_valid, false) as phone_valid,
        {{ filled | format('requester_email_raw') }} as email_filled,
        requester_email is not null as email_valid,
        cast(null as boolean) as iin_bin_filled,
        cast(null as boolean) as iin_bin_valid,
        cast(null as boolean) as birth_date_filled,
        cast(null as boolean) as birth_date_valid,
        cast(null as boolean) as city_filled,
        cast(null as boolean) as city_valid,
        cast(null as boolean) as address_filled,
        cast(null as boolean) as address_valid

    from {{ ref('stg_support__tickets') }}

),

records as (

    select * from crm_contacts
    union all
    select * from crm_companies
    union all
    select * from onec_counterparties
    union all
    select * from onec_contact_persons
    union all
    select * from telephony_calls
    union all
    select * from support_tickets

),

field_checks as (

    {% for field in fields %}
        select
            record_key,
            source_system,
            source_table,
            '{{ field }}' as field,
            {{ 'true' if field in rule_fields else 'false' }} as has_validity_rule,
            {{ field }}_filled as is_filled,
            -- validity is judged on filled values only; null where the field has no rule
            case when {{ field }}_filled then {{ field }}_valid end as is_valid

        from records
        -- a null flag means the record's table does not carry the field
        where {{ field }}_filled is not null
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

)

select * from field_checks

{{ config(materialized='view') }}

-- The uncertain pairs nobody has decided yet, both records side by side, most likely
-- matches first. `c360 identity review` lists it; a decision removes the pair.
with

person_pairs as (

    select
        'persons' as entity_type,
        record_key_l,
        record_key_r,
        match_probability,
        match_weight,
        mw_name_core,
        mw_patronymic,
        mw_phones,
        mw_email,
        mw_iin_valid as mw_iin_bin,
        mw_birth_date,
        mw_city,
        mw_postcode,
        mw_street,
        mw_house_numbers
    from {{ ref('int_person_match_pairs') }}
    where decision = 'review'

),

organisation_pairs as (

    select
        'organisations' as entity_type,
        record_key_l,
        record_key_r,
        match_probability,
        match_weight,
        mw_name_core,
        cast(null as double) as mw_patronymic,
        mw_phones,
        mw_email_company as mw_email,
        mw_bin_valid as mw_iin_bin,
        cast(null as double) as mw_birth_date,
        mw_city,
        mw_postcode,
        mw_street,
        mw_house_numbers
    from {{ ref('int_organisation_match_pairs') }}
    where decision = 'review'

),

person_records as (

    select
        record_key,
        full_name as record_name,
        phones_e164,
        email,
        iin as iin_bin,
        city,
        birth_date
    from {{ ref('int_person_records_unioned') }}

),

organisation_records as (

    select
        record_key,
        organisation_name as record_name,
        phones_e164,
        email,
        bin as iin_bin,
        city,
        cast(null as date) as birth_date
    from {{ ref('int_organisation_records_unioned') }}

),

undecided as (

    select pairs.*
    from (
        select * from person_pairs
        union all
        select * from organisation_pairs
    ) as pairs
    where not exists (
        select 1
        from {{ ref('stg_review__identity_decisions') }} as decisions
        where
            decisions.entity_type = pairs.entity_type
            and decisions.record_key_l = pairs.record_key_l
            and decisions.record_key_r = pairs.record_key_r
    )

),

records as (

    select
        'persons' as entity_type,
        person_records.*
    from person_records
    union all
    select
        'organisations' as entity_type,
        organisation_records.*
    from organisation_records

)

select
    undecided.entity_type,
    undecided.record_key_l,
    undecided.record_key_r,
    undecided.match_probability,
    undecided.match_weight,
    l.record_name as name_l,
    r.record_name as name_r,
    l.phones_e164 as phones_l,
    r.phones_e164 as phones_r,
    l.email as email_l,
    r.email as email_r,
    l.iin_bin as iin_bin_l,
    r.iin_bin as iin_bin_r,
    l.city as city_l,
    r.city as city_r,
    l.birth_date as birth_date_l,
    r.birth_date as birth_date_r,
    undecided.mw_name_core,
    undecided.mw_patronymic,
    undecided.mw_phones,
    undecided.mw_email,
    undecided.mw_iin_bin,
    undecided.mw_birth_date,
    undecided.mw_city,
    undecided.mw_postcode,
    undecided.mw_street,
    undecided.mw_house_numbers
from undecided
inner join records as l
    on undecided.entity_type = l.entity_type and undecided.record_key_l = l.record_key
inner join records as r
    on undecided.entity_type = r.entity_type and undecided.record_key_r = r.record_key

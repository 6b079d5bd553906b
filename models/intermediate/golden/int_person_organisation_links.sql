{#- Which organisation each person record works for: one row per person record that
    has one (calls and tickets aside). The source's own link wins: a CRM contact's
    COMPANY_ID, a 1C contact person's counterparty. A record without one is attached
    by its e-mail when that address is on a company's own domain (not a public one
    such as mail.ru) and exactly one organisation uses that domain: a.ivanova@romashka.kz
    works at Romashka. A domain shared by several organisations attaches nobody. -#}

with

crosswalk as (

    select
        record_key,
        entity_type,
        stable_id

    from {{ ref('int_record_crosswalk') }}
    where still_seen

),

person_records as (

    select
        record_key,
        organisation_record_key,
        {{ email_domain('email') }} as email_domain,
        coalesce(email_is_public, true) as email_is_public

    from {{ ref('int_person_records_unioned') }}
    where source_system not in ('telephony', 'support')

),

source_links as (

    select
        person_records.record_key,
        organisation_ids.stable_id as organisation_id,
        'source_link' as linked_by

    from person_records
    inner join crosswalk as organisation_ids
        on
            person_records.organisation_record_key = organisation_ids.record_key
            and organisation_ids.entity_type = 'organisation'

),

company_domains as (

    select
        organisation_records.email_domain,
        min(organisation_ids.stable_id) as organisation_id

    from {{ ref('int_organisation_records_unioned') }} as organisation_records
    inner join crosswalk as organisation_ids
        on
            organisation_records.record_key = organisation_ids.record_key
            and organisation_ids.entity_type = 'organisation'
    where
        organisation_records.email_domain is not null
        and not coalesce(organisation_records.email_is_public, true)
    group by organisation_records.email_domain
    having count(distinct organisation_ids.stable_id) = 1

),

domain_links as (

    select
        person_records.record_key,
        company_domains.organisation_id,
        'company_email_domain' as linked_by

    from person_records
    inner join company_domains
        on person_records.email_domain = company_domains.email_domain
    left join source_links
        on person_records.record_key = source_links.record_key
    where
        not person_records.email_is_public
        and source_links.record_key is null

)

select * from source_links
union all
select * from domain_links

{#- One row per active stable id (persons and organisations with at least one record
    still in the sources): how many records of each source it holds, which CRM
    branches, when it was first and last touched, and, for persons, whether it is an
    individual (private) customer.

    Individual customer: the person holds a 1C counterparty of kind "Физическое лицо"
    (onec:counterparties among person records), or holds a CRM contact while none of
    its records is attached to an organisation (int_person_organisation_links: by the
    source, or by a company e-mail domain). -#}

with

crosswalk as (

    select
        record_key,
        entity_type,
        stable_id

    from {{ ref('int_record_crosswalk') }}
    where still_seen

),

entity_records as (

    select
        crosswalk.entity_type,
        crosswalk.stable_id,
        person_records.record_key,
        person_records.source_system,
        person_records.source_table,
        person_records.branch,
        organisation_links.organisation_id,
        person_records.updated_at

    from crosswalk
    inner join {{ ref('int_person_records_unioned') }} as person_records
        on crosswalk.record_key = person_records.record_key
    left join {{ ref('int_person_organisation_links') }} as organisation_links
        on person_records.record_key = organisation_links.record_key
    where crosswalk.entity_type = 'person'

    union all

    select
        crosswalk.entity_type,
        crosswalk.stable_id,
        organisation_records.record_key,
        organisation_records.source_system,
        organisation_records.source_table,
        organisation_records.branch,
        cast(null as {{ dbt.type_string() }}) as organisation_id,
        organisation_records.updated_at

    from crosswalk
    inner join {{ ref('int_organisation_records_unioned') }} as organisation_records
        on crosswalk.record_key = organisation_records.record_key
    where crosswalk.entity_type = 'organisation'

),

attributed_events as (

    select
        person_ids.stable_id,
        attributions.source_system

    from {{ ref('int_event_attributions') }} as attributions
    inner join crosswalk as person_ids
        on
            attributions.cluster_id = person_ids.record_key
            and person_ids.entity_type = 'person'

),

event_counts as (

    select
        stable_id,
        count(case when source_system = 'telephony' then 1 end) as telephony_record_count,
        count(case when source_system = 'support' then 1 end) as support_record_count

    from attributed_events
    group by stable_id

),

record_summaries as (

    select
        entity_type,
        stable_id,
        count(*) as source_record_count,
        count(case when source_system = 'crm' then 1 end) as crm_record_count,
        count(case when source_system = 'onec' then 1 end) as onec_record_count,
        string_agg(distinct source_system, ',' order by source_system) as source_systems,
        string_agg(distinct branch, ',' order by branch) as branches,
        min(updated_at) as first_seen_at,
        max(updated_at) as last_updated_at,
        count(
            case when source_system = 'onec' and source_table = 'counterparties' then 1 end
        ) > 0 as has_private_counterparty,
        count(case when source_system = 'crm' then 1 end) > 0 as has_crm_record,
        count(organisation_id) > 0 as is_attached_to_organisation

    from entity_records
    group by entity_type, stable_id

),

summaries as (

    select
        record_summaries.entity_type,
        record_summaries.stable_id,
        record_summaries.source_record_count,
        record_summaries.crm_record_count,
        record_summaries.onec_record_count,
        record_summaries.source_systems,
        record_summaries.branches,
        record_summaries.first_seen_at,
        record_summaries.last_updated_at,
        record_summaries.is_attached_to_organisation,
        coalesce(event_counts.telephony_record_count, 0) as telephony_record_count,
        coalesce(event_counts.support_record_count, 0) as support_record_count,
        record_summaries.entity_type = 'person'
        and (
            record_summaries.has_private_counterparty
            or (record_summaries.has_crm_record and not record_summaries.is_attached_to_organisation)
        ) as is_individual_customer

    from record_summaries
    left join event_counts
        on record_summaries.stable_id = event_counts.stable_id

)

select
    entity_type,
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
    is_attached_to_organisation,
    is_individual_customer

from summaries

{#- Every clustered source record (person or organisation, int_record_crosswalk) ->
    the customer and the contact the facts hang on it, with the same rules as the
    golden record (docs/golden_record.md), so that every ID here has its dim row:

    - an organisation record: customer_id = its org_ ID; no contact;
    - a person record: contact_id = its per_ ID; customer_id = for a 1C counterparty
      of kind «Физическое лицо» the person themself (1C bills them as a private
      person), otherwise the organisation the person works for
      (dim_contacts.customer_id), else the person when they are an individual
      customer.

    An ID whose entity has no golden record any more (all its records gone from the
    sources) is null: a fact never points at a customer that dim_customers lacks. -#}

with

crosswalk as (

    select
        record_key,
        entity_type,
        stable_id

    from {{ ref('int_record_crosswalk') }}

),

entities as (

    select
        entity_type,
        stable_id,
        is_individual_customer

    from {{ ref('int_golden_entity_summaries') }}

),

employers as (

    -- the golden contact field customer_id: the organisation most records point to
    select
        stable_id,
        field_value as organisation_id

    from {{ ref('int_golden_field_winners') }}
    where entity = 'contact' and field_name = 'customer_id'

),

resolved as (

    select
        crosswalk.record_key,
        crosswalk.entity_type,
        crosswalk.stable_id,
        case when crosswalk.entity_type = 'person' then entities.stable_id end as contact_id,
        case
            when crosswalk.entity_type = 'organisation' then entities.stable_id
            when
                crosswalk.record_key like 'onec:counterparties:%'
                and entities.is_individual_customer
                then entities.stable_id
            when employers.organisation_id is not null then employers.organisation_id
            when entities.is_individual_customer then entities.stable_id
        end as customer_id

    from crosswalk
    left join entities
        on
            crosswalk.entity_type = entities.entity_type
            and crosswalk.stable_id = entities.stable_id
    left join employers
        on
            crosswalk.stable_id = employers.stable_id
            and crosswalk.entity_type = 'person'

)

select
    record_key,
    entity_type,
    stable_id,
    contact_id,
    customer_id

from resolved

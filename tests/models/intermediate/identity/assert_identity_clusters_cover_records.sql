-- Records in = records clustered: every person record except calls and tickets is in
-- int_person_clusters exactly once, every organisation record in
-- int_organisation_clusters exactly once, every call and ticket in
-- int_event_attributions exactly once, and nothing else is in them.
with

expected as (

    select 'persons' as entity_type, record_key
    from {{ ref('int_person_records_unioned') }}
    where source_system not in ('telephony', 'support')
    union all
    select 'organisations' as entity_type, record_key
    from {{ ref('int_organisation_records_unioned') }}
    union all
    select 'events' as entity_type, record_key
    from {{ ref('int_person_records_unioned') }}
    where source_system in ('telephony', 'support')

),

produced as (

    select 'persons' as entity_type, record_key from {{ ref('int_person_clusters') }}
    union all
    select 'organisations' as entity_type, record_key
    from {{ ref('int_organisation_clusters') }}
    union all
    select 'events' as entity_type, record_key from {{ ref('int_event_attributions') }}

),

tallied as (

    select
        entity_type,
        record_key,
        sum(in_input) as input_count,
        sum(in_output) as output_count
    from (
        select entity_type, record_key, 1 as in_input, 0 as in_output from expected
        union all
        select entity_type, record_key, 0 as in_input, 1 as in_output from produced
    ) as both_sides
    group by entity_type, record_key

)

select entity_type, record_key, input_count, output_count
from tallied
where input_count <> 1 or output_count <> 1

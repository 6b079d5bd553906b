{#- Why each merge happened: the links that joined a record of the merged ID to a
    record the survivor already held, one row per link. A link is a must-link rule
    (which one), a Splink match (with its probability) or a reviewer's "same" (who and
    when). Written in the build that records the merge, from that build's pairs and
    decisions, and kept from then on: later builds redraw the pairs, not the history.
    Incremental with full_refresh off, like int_entity_id_merges. -#}


{{ config(
    materialized='incremental',
    unique_key=['merged_id', 'record_key_l', 'record_key_r'],
    full_refresh=false,
) }}

with

recorded_merges as (

    select
        merged_id,
        survivor_id,
        entity_type,
        merged_at

    from {{ ref('int_entity_id_merges') }}
    {% if is_incremental() %}
        where merged_id not in (select distinct merged_id from {{ this }})  -- noqa: RF02
    {% endif %}

),

assignments as (

    select
        record_key,
        entity_id,
        previous_entity_id,
        change

    from {{ ref('int_person_id_assignments') }}

    union all

    select
        record_key,
        entity_id,
        previous_entity_id,
        change

    from {{ ref('int_organisation_id_assignments') }}

),

moved_records as (

    -- the records the merged ID held, which now carry the survivor's ID
    select
        recorded_merges.merged_id,
        assignments.record_key

    from recorded_merges
    inner join assignments
        on
            recorded_merges.merged_id = assignments.previous_entity_id
            and recorded_merges.survivor_id = assignments.entity_id
            and assignments.change = 'merged'

),

kept_records as (

    -- the records the survivor held already (or received from no other merged ID)
    select
        recorded_merges.merged_id,
        assignments.record_key

    from recorded_merges
    inner join assignments
        on
            recorded_merges.survivor_id = assignments.entity_id
            and recorded_merges.merged_id != coalesce(assignments.previous_entity_id, '')

),

latest_decisions as (

    select
        record_key_l,
        record_key_r,
        decision,
        reviewer,
        decided_at

    from {{ ref('stg_review__identity_decisions') }}
    qualify row_number() over (
        partition by entity_type, record_key_l, record_key_r order by decided_at desc
    ) = 1

),

links as (

    select
        record_key_l,
        record_key_r,
        case when rule is not null then 'rule' else 'probabilistic' end as linked_by,
        rule,
        match_probability,
        cast(null as {{ dbt.type_string() }}) as reviewer,
        cast(null as timestamp) as decided_at

    from {{ ref('int_person_match_pairs') }}
    where decision = 'match'

    union all

    select
        record_key_l,
        record_key_r,
        case when rule is not null then 'rule' else 'probabilistic' end as linked_by,
        rule,
        match_probability,
        cast(null as {{ dbt.type_string() }}) as reviewer,
        cast(null as timestamp) as decided_at

    from {{ ref('int_organisation_match_pairs') }}
    where decision = 'match'

    union all

    select
        record_key_l,
        record_key_r,
        'review' as linked_by,
        cast(null as {{ dbt.type_string() }}) as rule,  -- noqa: RF04
        cast(null as double) as match_probability,
        reviewer,
        cast(decided_at as timestamp) as decided_at

    from latest_decisions
    where decision = 'same'

),

joining_links as (

    -- a link counts in either direction: moved record on the left or on the right
    select
        moved_records.merged_id,
        links.*

    from moved_records
    inner join links on moved_records.record_key = links.record_key_l
    inner join kept_records
        on
            moved_records.merged_id = kept_records.merged_id
            and links.record_key_r = kept_records.record_key

    union all

    select
        moved_records.merged_id,
        links.*

    from moved_records
    inner join links on moved_records.record_key = links.record_key_r
    inner join kept_records
        on
            moved_records.merged_id = kept_records.merged_id
            and links.record_key_l = kept_records.record_key

)

select
    recorded_merges.merged_id,
    recorded_merges.survivor_id,
    recorded_merges.entity_type,
    recorded_merges.merged_at,
    joining_links.record_key_l,
    joining_links.record_key_r,
    joining_links.linked_by,
    joining_links.rule,
    joining_links.match_probability,
    joining_links.reviewer,
    joining_links.decided_at

from recorded_merges
inner join joining_links
    on recorded_merges.merged_id = joining_links.merged_id

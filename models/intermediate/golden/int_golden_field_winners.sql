{#- The surviving value of every (entity, stable_id, field_name), chosen by the field's rule
    in seeds/survivorship_rules.csv, with the source record it came from (lineage).

    Rules (nulls never compete: candidates hold non-null values only):
      source_priority  the first source in the rule's source_priority list
      most_recent      the latest updated_at
      most_frequent    the value most candidate records carry
      most_complete    the longest value
    Ties, in this order: source_priority, then the latest updated_at, then the
    smallest source_table / source_record_id, so every build picks the same record.
    For most_frequent the lineage is the best record (by the same tie-breaks) among
    those carrying the winning value. -#}

with

rules as (

    select
        entity,
        field,
        rule,
        source_priority

    from {{ ref('survivorship_rules') }}

),

ranked_inputs as (

    select
        candidates.entity,
        candidates.stable_id,
        candidates.field_name,
        candidates.field_value,
        candidates.source_system,
        candidates.source_table,
        candidates.source_record_id,
        candidates.updated_at,
        rules.rule,
        -- "onec>crm" -> onec 2, crm 6: an earlier source has a smaller position;
        -- a source missing from the list ranks after every listed one
        coalesce(
            nullif(
                position(
                    {{ dbt.concat(["'>'", 'candidates.source_system', "'>'"]) }}
                    in {{ dbt.concat(["'>'", 'rules.source_priority', "'>'"]) }}
                ),
                0
            ),
            1000000
        ) as source_rank,
        count(*) over (
            partition by candidates.entity, candidates.stable_id, candidates.field_name, candidates.field_value
        ) as value_frequency,
        count(*) over (
            partition by candidates.entity, candidates.stable_id, candidates.field_name
        ) as candidate_count

    from {{ ref('int_golden_candidate_values') }} as candidates
    inner join rules
        on
            candidates.entity = rules.entity
            and candidates.field_name = rules.field
    -- nulls never compete, whatever the rule
    where candidates.field_value is not null

),

ranked as (

    select
        entity,
        stable_id,
        field_name,
        field_value,
        source_system,
        source_table,
        source_record_id,
        updated_at,
        rule,
        value_frequency,
        candidate_count,
        row_number() over (
            partition by entity, stable_id, field_name
            order by
                case when rule = 'most_frequent' then value_frequency end desc nulls last,
                case when rule = 'most_complete' then length(field_value) end desc nulls last,
                case when rule = 'most_recent' then updated_at end desc nulls last,
                source_rank asc,
                updated_at desc nulls last,
                source_table asc,
                source_record_id asc,
                field_value asc
        ) as survivor_rank

    from ranked_inputs

),

winners as (

    select
        entity,
        stable_id,
        field_name,
        rule,
        field_value,
        source_system,
        source_table,
        source_record_id,
        updated_at,
        value_frequency,
        candidate_count

    from ranked
    where survivor_rank = 1

)

select
    entity,
    stable_id,
    field_name,
    rule,
    field_value,
    source_system,
    source_table,
    source_record_id,
    updated_at,
    value_frequency,
    candidate_count

from winners

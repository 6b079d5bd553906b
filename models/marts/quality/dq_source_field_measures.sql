{#- The data-quality measures of the warehouse as it is now, one row per (source
    system, identifying field): completeness, validity, the field's score, and per
    source the duplicates merged, freshness timestamps, rejects and the DQ scores.
    dq_field_quality_history records these rows once per dbt run. Definitions:
    docs/data_quality.md. -#}

with

field_checks as (

    select
        source_system,
        field,
        has_validity_rule,
        is_filled,
        is_valid

    from {{ ref('dq_record_field_checks') }}

),

source_records as (

    select
        source_system,
        count(distinct record_key) as source_records

    from {{ ref('dq_record_field_checks') }}
    group by source_system

),

field_counts as (

    select
        source_system,
        field,
        bool_or(has_validity_rule) as has_validity_rule,
        count(*) as records,
        count(case when is_filled then 1 end) as filled_records,
        case
            when bool_or(has_validity_rule) then count(case when is_filled and is_valid then 1 end)
        end as valid_records

    from field_checks
    group by source_system, field

),

field_scores as (

    select
        source_system,
        field,
        has_validity_rule,
        records,
        filled_records,
        valid_records,
        round(cast(filled_records as double) / nullif(records, 0), 4) as completeness,
        round(cast(valid_records as double) / nullif(filled_records, 0), 4) as validity,
        -- the share of records holding a usable value: filled, and valid where a rule exists
        cast(coalesce(valid_records, filled_records) as double) / nullif(records, 0) as field_score_unrounded

    from field_counts

),

-- duplicates: records that identity resolution merged into another record's ID
resolved_records as (

    select
        {{ dbt.split_part('record_key', "':'", 1) }} as source_system,
        count(*) as resolved_records,
        count(distinct stable_id) as distinct_ids

    from {{ ref('int_record_crosswalk') }}
    where still_seen
    group by {{ dbt.split_part('record_key', "':'", 1) }}

),

record_changes as (

    select
        source_system,
        updated_at
    from {{ ref('int_person_records_unioned') }}
    union all
    select
        source_system,
        updated_at
    from {{ ref('int_organisation_records_unioned') }}

),

latest_changes as (

    select
        source_system,
        max(updated_at) as latest_record_updated_at

    from record_changes
    group by source_system

),

source_measures as (

    select
        source_records.source_system,
        source_records.source_records,
        resolved_records.resolved_records,
        resolved_records.distinct_ids,
        latest_changes.latest_record_updated_at,
        source_loads.last_loaded_at,
        resolved_records.resolved_records - resolved_records.distinct_ids as duplicate_records,
        coalesce(source_loads.rejected_records, 0) as rejected_records

    from source_records
    left join resolved_records
        on source_records.source_system = resolved_records.source_system
    left join latest_changes
        on source_records.source_system = latest_changes.source_system
    left join {{ ref('dq_source_loads') }} as source_loads
        on source_records.source_system = source_loads.source_system

),

-- every field weighs the same within its source, every source the same overall
source_scores as (

    select
        source_system,
        avg(field_score_unrounded) as source_dq_score_unrounded

    from field_scores
    group by source_system

),

overall_score as (

    select avg(source_dq_score_unrounded) as overall_dq_score_unrounded
    from source_scores

),

measures as (

    select  -- noqa: ST06
        field_scores.source_system,
        field_scores.field,
        field_scores.has_validity_rule,
        field_scores.records,
        field_scores.filled_records,
        field_scores.valid_records,
        field_scores.completeness,
        field_scores.validity,
        round(field_scores.field_score_unrounded, 4) as field_score,
        source_measures.source_records,
        source_measures.resolved_records,
        source_measures.distinct_ids,
        source_measures.duplicate_records,
        source_measures.latest_record_updated_at,
        source_measures.last_loaded_at,
        source_measures.rejected_records,
        round(source_scores.source_dq_score_unrounded, 4) as source_dq_score,
        round(overall_score.overall_dq_score_unrounded, 4) as overall_dq_score

    from field_scores
    inner join source_measures
        on field_scores.source_system = source_measures.source_system
    inner join source_scores
        on field_scores.source_system = source_scores.source_system
    cross join overall_score

)

select * from measures

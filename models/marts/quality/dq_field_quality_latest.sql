{#- The rows of the latest run recorded in dq_field_quality_history: the current
    data-quality snapshot, one row per (source system, field). -#}

{%- set columns = [
    'run_id', 'run_started_at', 'source_system', 'field', 'has_validity_rule',
    'records', 'filled_records', 'valid_records', 'completeness', 'validity',
    'field_score', 'source_records', 'resolved_records', 'distinct_ids',
    'duplicate_records', 'latest_record_updated_at', 'hours_since_record_update',
    'last_loaded_at', 'hours_since_load', 'rejected_records', 'source_dq_score',
    'overall_dq_score',
] -%}

with

history as (

    select
        {{ columns | join(',\n        ') }}
    from {{ ref('dq_field_quality_history') }}

),

latest_run as (

    select run_id
    from history
    order by run_started_at desc, run_id desc
    limit 1

),

latest as (

    select
        history.{{ columns | join(',\n        history.') }}
    from history
    inner join latest_run
        on history.run_id = latest_run.run_id

)

select * from latest

{#- The data-quality measures, one row per (dbt run, source system, field): the
    trend. Each run that builds this model appends its rows, keyed by dbt's
    invocation_id; full_refresh=false keeps the history through `dbt build
    --full-refresh` (it cannot be rebuilt from the current state). -#}

{{
    config(
        materialized='incremental',
        unique_key=['run_id', 'source_system', 'field'],
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
        full_refresh=false,
    )
}}

{%- set run_started = "cast('" ~ run_started_at.isoformat() ~ "' as timestamp with time zone)" -%}

with

measures as (

    select
        cast('{{ invocation_id }}' as {{ dbt.type_string() }}) as run_id,
        {{ run_started }} as run_started_at,
        source_system,
        field,
        has_validity_rule,
        records,
        filled_records,
        valid_records,
        completeness,
        validity,
        field_score,
        source_records,
        resolved_records,
        distinct_ids,
        duplicate_records,
        latest_record_updated_at,
        {{ dbt.datediff('latest_record_updated_at', run_started, 'hour') }} as hours_since_record_update,
        last_loaded_at,
        {{ dbt.datediff('last_loaded_at', run_started, 'hour') }} as hours_since_load,
        rejected_records,
        source_dq_score,
        overall_dq_score

    from {{ ref('dq_source_field_measures') }}

)

select * from measures
{% if is_incremental() %}
-- a run records itself once, even if the model is built twice in one invocation
    where run_id not in (select run_id from {{ this }})  -- noqa: RF02
{% endif %}

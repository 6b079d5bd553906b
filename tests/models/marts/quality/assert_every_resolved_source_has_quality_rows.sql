{#- Every source system in int_record_crosswalk has data-quality rows in the latest
    run, and those rows count every customer record of the source (records in
    int_person_records_unioned + int_organisation_records_unioned = source_records).
    Returns the offending sources. -#}

with

crosswalk_sources as (

    select distinct {{ dbt.split_part('record_key', "':'", 1) }} as source_system
    from {{ ref('int_record_crosswalk') }}

),

unioned_records as (

    select
        source_system,
        record_key
    from {{ ref('int_person_records_unioned') }}
    union all
    select
        source_system,
        record_key
    from {{ ref('int_organisation_records_unioned') }}

),

records_per_source as (

    select
        source_system,
        count(*) as unioned_records

    from unioned_records
    group by source_system

),

latest_sources as (

    select
        source_system,
        min(source_records) as min_source_records,
        max(source_records) as max_source_records

    from {{ ref('dq_field_quality_latest') }}
    group by source_system

),

offenders as (

    select
        crosswalk_sources.source_system,
        'no data-quality row in the latest run' as problem

    from crosswalk_sources
    left join latest_sources
        on crosswalk_sources.source_system = latest_sources.source_system
    where latest_sources.source_system is null

    union all

    select
        records_per_source.source_system,
        'source_records differs from the unioned records' as problem

    from records_per_source
    left join latest_sources
        on records_per_source.source_system = latest_sources.source_system
    where
        latest_sources.source_system is null
        or latest_sources.min_source_records <> records_per_source.unioned_records
        or latest_sources.max_source_records <> records_per_source.unioned_records

)

select * from offenders

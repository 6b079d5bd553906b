{#- Records in = records mapped: every person record still in the sources (per
    int_record_crosswalk) lands in exactly one dim_contacts row and every
    organisation record in exactly one organisation row of dim_customers, and each
    dim row counts exactly the records mapped to it. Returns the offenders. -#}

with

records as (

    select
        record_key,
        entity_type,
        stable_id

    from {{ ref('int_record_crosswalk') }}
    where still_seen

),

dim_rows as (

    select
        'person' as entity_type,
        contact_id as stable_id,
        source_record_count

    from {{ ref('dim_contacts') }}

    union all

    select
        'organisation' as entity_type,
        customer_id as stable_id,
        source_record_count

    from {{ ref('dim_customers') }}
    where customer_type = 'organisation'

),

rows_per_record as (

    select
        records.record_key,
        count(dim_rows.stable_id) as dim_row_count

    from records
    left join dim_rows
        on
            records.entity_type = dim_rows.entity_type
            and records.stable_id = dim_rows.stable_id
    group by records.record_key

),

records_per_row as (

    select
        dim_rows.stable_id,
        dim_rows.source_record_count,
        count(records.record_key) as mapped_record_count

    from dim_rows
    left join records
        on
            dim_rows.entity_type = records.entity_type
            and dim_rows.stable_id = records.stable_id
    group by dim_rows.stable_id, dim_rows.source_record_count

)

select
    'record in no or several dim rows' as problem,
    record_key as offender

from rows_per_record
where dim_row_count != 1

union all

select
    'dim row counts other records than are mapped to it' as problem,
    stable_id as offender

from records_per_row
where source_record_count != mapped_record_count

{#- Fields whose rule row says flag_conflicts (IIN, BIN, birth date) and whose
    entity carries two or more different values: the golden record still picks one
    (int_golden_field_winners), this model keeps the disagreement visible. -#}

with

flagged_fields as (

    select
        entity,
        field

    from {{ ref('survivorship_rules') }}
    where flag_conflicts

),

distinct_values as (

    select distinct
        candidates.entity,
        candidates.stable_id,
        candidates.field_name,
        candidates.field_value

    from {{ ref('int_golden_candidate_values') }} as candidates
    inner join flagged_fields
        on
            candidates.entity = flagged_fields.entity
            and candidates.field_name = flagged_fields.field

),

conflicts as (

    select
        entity,
        stable_id,
        field_name,
        count(*) as distinct_value_count,
        string_agg(field_value, ' | ' order by field_value) as conflicting_values

    from distinct_values
    group by entity, stable_id, field_name
    having count(*) > 1

)

select
    entity,
    stable_id,
    field_name,
    distinct_value_count,
    conflicting_values

from conflicts

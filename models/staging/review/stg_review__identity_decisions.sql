{#- The reviewers' decisions as they are now: a view, so that the identity models
    built after a `c360 identity review --decide` see it without a rebuild of this
    model. Every decision is kept; the latest on a pair wins where it is read. -#}

with

source as (

    select * from {{ source('review', 'identity_decisions') }}

),

renamed as (

    select
        entity_type,
        record_key_l,
        record_key_r,
        decision,
        reviewer,
        decided_at,
        note

    from source

)

select * from renamed

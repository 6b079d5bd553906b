with

source as (

    select * from {{ landed_source('onec', 'rejects') }}

),

renamed as (

    select
        reject_id,
        raw as raw_content,
        reason as reject_reason

    from source

)

select * from renamed

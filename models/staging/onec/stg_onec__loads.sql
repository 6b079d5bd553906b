with

source as (

    select * from {{ landed_source('onec', '_dlt_loads') }}

),

renamed as (

    select
        load_id,
        status as load_status,
        inserted_at as loaded_at

    from source

)

select * from renamed

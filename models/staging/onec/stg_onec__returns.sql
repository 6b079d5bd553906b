with

source as (

    select * from {{ landed_source('onec', 'returns') }}

),

renamed as (

    select
        {{ clean_text('number') }} as return_number,
        date as returned_on,
        {{ clean_text('counterparty_code') }} as counterparty_code,
        {{ clean_text('shipment_number') }} as shipment_number,
        amount,
        {{ clean_text('currency') }} as currency,
        {{ clean_text('reason') }} as return_reason,
        modified_at as updated_at

    from source

)

select * from renamed

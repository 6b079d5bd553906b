with

source as (

    select * from {{ landed_source('onec', 'shipments') }}

),

renamed as (

    select
        {{ clean_text('number') }} as shipment_number,
        date as shipped_on,
        {{ clean_text('counterparty_code') }} as counterparty_code,
        {{ clean_text('invoice_number') }} as invoice_number,
        amount,
        {{ clean_text('currency') }} as currency,
        {{ clean_text('warehouse') }} as warehouse_name,
        modified_at as updated_at

    from source

)

select * from renamed

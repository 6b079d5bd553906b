with

source as (

    select * from {{ landed_source('onec', 'discounts') }}

),

renamed as (

    select
        {{ clean_text('number') }} as discount_number,
        date as granted_on,
        {{ clean_text('counterparty_code') }} as counterparty_code,
        {{ clean_text('invoice_number') }} as invoice_number,
        amount,
        {{ clean_text('discount_type') }} as discount_type,
        modified_at as updated_at

    from source

)

select * from renamed

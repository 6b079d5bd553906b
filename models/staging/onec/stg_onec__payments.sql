with

source as (

    select * from {{ landed_source('onec', 'payments') }}

),

renamed as (

    select
        {{ clean_text('number') }} as payment_number,
        date as paid_on,
        {{ clean_text('counterparty_code') }} as counterparty_code,
        {{ clean_text('invoice_number') }} as invoice_number,
        amount,
        {{ clean_text('currency') }} as currency,
        {{ clean_text('payment_method') }} as payment_method,
        modified_at as updated_at

    from source

)

select * from renamed

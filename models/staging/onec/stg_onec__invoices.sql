with

source as (

    select * from {{ landed_source('onec', 'invoices') }}

),

renamed as (

    select
        {{ clean_text('number') }} as invoice_number,
        date as invoiced_on,
        {{ clean_text('counterparty_code') }} as counterparty_code,
        {{ clean_text('branch') }} as branch_name,
        {{ onec_branch('branch') }} as branch,
        amount,
        vat_amount,
        {{ clean_text('currency') }} as currency,
        {{ clean_text('comment') }} as invoice_comment,
        modified_at as updated_at

    from source

)

select * from renamed

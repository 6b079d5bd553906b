{#- One row per 1C payment received (ПоступленияДенежныхСредств): who paid, when, how
    much in KZT and which invoice it paid (null: a payment on account). A payment in
    another currency keeps its row with amount_kzt null and is_kzt = false. -#}

with

payments as (

    select
        payment_number,
        paid_on,
        counterparty_code,
        invoice_number,
        amount,
        currency,
        payment_method

    from {{ ref('stg_onec__payments') }}

),

invoices as (

    select
        invoice_number,
        branch

    from {{ ref('stg_onec__invoices') }}

),

customers as (

    select
        record_key,
        contact_id,
        customer_id

    from {{ ref('int_record_customer_ids') }}

)

select
    cast({{ dbt.concat(["'onec:payments:'", 'payments.payment_number']) }} as {{ dbt.type_string() }}) as payment_key,
    cast({{ dbt.concat(["'onec:payments:'", 'payments.payment_number']) }} as {{ dbt.type_string() }}) as source_record_key,
    cast(payments.payment_number as {{ dbt.type_string() }}) as payment_number,
    cast(payments.paid_on as date) as paid_on,
    cast(payments.counterparty_code as {{ dbt.type_string() }}) as counterparty_code,
    cast({{ dbt.concat(["'onec:counterparties:'", 'payments.counterparty_code']) }} as {{ dbt.type_string() }})
        as counterparty_record_key,
    cast(customers.customer_id as {{ dbt.type_string() }}) as customer_id,
    cast(customers.contact_id as {{ dbt.type_string() }}) as contact_id,
    cast(payments.invoice_number as {{ dbt.type_string() }}) as invoice_number,
    cast(
        case when invoices.invoice_number is not null then {{ dbt.concat(["'onec:invoices:'", 'invoices.invoice_number']) }} end
        as {{ dbt.type_string() }}
    ) as sale_key,
    cast(invoices.branch as {{ dbt.type_string() }}) as branch,
    cast(payments.payment_method as {{ dbt.type_string() }}) as payment_method,
    cast(payments.currency as {{ dbt.type_string() }}) as currency,
    cast(coalesce(payments.currency = 'KZT', false) as boolean) as is_kzt,
    cast(case when payments.currency = 'KZT' then payments.amount end as decimal(18, 2)) as amount_kzt,
    cast(payments.invoice_number is null as boolean) as is_on_account

from payments
left join invoices
    on payments.invoice_number = invoices.invoice_number
left join customers
    on {{ dbt.concat(["'onec:counterparties:'", 'payments.counterparty_code']) }} = customers.record_key

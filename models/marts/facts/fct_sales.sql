{#- One row per 1C invoice (1C exports invoices without lines): what was invoiced,
    what was taken off it by discounts (Скидки on the invoice) and by returns
    (ВозвратыОтПокупателей of the invoice's shipments), and what remains, in KZT.

    net_amount_kzt = gross_amount_kzt - discount_amount_kzt - returned_amount_kzt.
    Amounts in KZT only: 1C exports KZT, and no exchange rate is landed; an invoice
    whose own currency, or the currency of one of its shipments or returns, is not
    KZT keeps its row with null *_kzt amounts and is_kzt = false, so that it never
    counts silently (discounts carry no currency in 1C: the invoice's). -#}

with

invoices as (

    select
        invoice_number,
        invoiced_on,
        counterparty_code,
        branch,
        branch_name,
        amount,
        vat_amount,
        currency

    from {{ ref('stg_onec__invoices') }}

),

shipments_per_invoice as (

    select
        invoice_number,
        count(*) as shipment_count,
        min(shipped_on) as first_shipped_on,
        sum(amount) as shipped_amount,
        count(case when currency != 'KZT' or currency is null then 1 end) as non_kzt_count

    from {{ ref('stg_onec__shipments') }}
    where invoice_number is not null
    group by invoice_number

),

returns_per_invoice as (

    select
        shipments.invoice_number,
        count(*) as return_count,
        max(customer_returns.returned_on) as last_returned_on,
        sum(customer_returns.amount) as returned_amount,
        count(case when customer_returns.currency != 'KZT' or customer_returns.currency is null then 1 end) as non_kzt_count

    from {{ ref('stg_onec__returns') }} as customer_returns
    inner join {{ ref('stg_onec__shipments') }} as shipments
        on customer_returns.shipment_number = shipments.shipment_number
    where shipments.invoice_number is not null
    group by shipments.invoice_number

),

discounts_per_invoice as (

    select
        invoice_number,
        count(*) as discount_count,
        sum(amount) as discount_amount

    from {{ ref('stg_onec__discounts') }}
    where invoice_number is not null
    group by invoice_number

),

customers as (

    select
        record_key,
        contact_id,
        customer_id

    from {{ ref('int_record_customer_ids') }}

),

sales as (

    select
        invoices.invoice_number,
        invoices.invoiced_on,
        invoices.branch,
        invoices.branch_name,
        invoices.counterparty_code,
        {{ dbt.concat(["'onec:counterparties:'", 'invoices.counterparty_code']) }} as counterparty_record_key,
        customers.customer_id,
        customers.contact_id,
        invoices.currency,
        invoices.currency = 'KZT'
        and coalesce(shipments.non_kzt_count, 0) = 0
        and coalesce(invoice_returns.non_kzt_count, 0) = 0 as is_kzt,
        invoices.amount as gross_amount,
        invoices.vat_amount,
        coalesce(discounts.discount_amount, 0) as discount_amount,
        coalesce(invoice_returns.returned_amount, 0) as returned_amount,
        coalesce(shipments.shipped_amount, 0) as shipped_amount,
        coalesce(shipments.shipment_count, 0) as shipment_count,
        coalesce(invoice_returns.return_count, 0) as return_count,
        coalesce(discounts.discount_count, 0) as discount_count,
        shipments.first_shipped_on,
        invoice_returns.last_returned_on

    from invoices
    left join shipments_per_invoice as shipments
        on invoices.invoice_number = shipments.invoice_number
    left join returns_per_invoice as invoice_returns
        on invoices.invoice_number = invoice_returns.invoice_number
    left join discounts_per_invoice as discounts
        on invoices.invoice_number = discounts.invoice_number
    left join customers
        on {{ dbt.concat(["'onec:counterparties:'", 'invoices.counterparty_code']) }} = customers.record_key

)

select
    cast({{ dbt.concat(["'onec:invoices:'", 'invoice_number']) }} as {{ dbt.type_string() }}) as sale_key,
    cast({{ dbt.concat(["'onec:invoices:'", 'invoice_number']) }} as {{ dbt.type_string() }}) as source_record_key,
    cast(invoice_number as {{ dbt.type_string() }}) as invoice_number,
    cast(invoiced_on as date) as invoiced_on,
    cast(branch as {{ dbt.type_string() }}) as branch,
    cast(branch_name as {{ dbt.type_string() }}) as branch_name,
    cast(counterparty_code as {{ dbt.type_string() }}) as counterparty_code,
    cast(counterparty_record_key as {{ dbt.type_string() }}) as counterparty_record_key,
    cast(customer_id as {{ dbt.type_string() }}) as customer_id,
    cast(contact_id as {{ dbt.type_string() }}) as contact_id,
    cast(currency as {{ dbt.type_string() }}) as currency,
    cast(coalesce(is_kzt, false) as boolean) as is_kzt,
    cast(case when is_kzt then gross_amount end as decimal(18, 2)) as gross_amount_kzt,
    cast(case when is_kzt then vat_amount end as decimal(18, 2)) as vat_amount_kzt,
    cast(case when is_kzt then discount_amount end as decimal(18, 2)) as discount_amount_kzt,
    cast(case when is_kzt then returned_amount end as decimal(18, 2)) as returned_amount_kzt,
    cast(case when is_kzt then gross_amount - discount_amount - returned_amount end as decimal(18, 2)) as net_amount_kzt,
    cast(case when is_kzt then shipped_amount end as decimal(18, 2)) as shipped_amount_kzt,
    cast(shipment_count > 0 as boolean) as is_shipped,
    cast(return_count > 0 as boolean) as has_returns,
    cast(shipment_count as integer) as shipment_count,
    cast(return_count as integer) as return_count,
    cast(discount_count as integer) as discount_count,
    cast(first_shipped_on as date) as first_shipped_on,
    cast(last_returned_on as date) as last_returned_on

from sales

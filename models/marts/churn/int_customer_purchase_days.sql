{#- One row per customer and purchase day, as the churn engine counts them
    (customer360.forecasts.transactions.purchase_days): a customer's calendar day whose
    invoices sum to a positive net amount in KZT. Several invoices on one day are one
    purchase; a day netting to zero or less (returned, cancelled) is not a purchase.
    Invoices without a resolved customer or outside KZT (net_amount_kzt null) do not
    count. -#}

with

sales as (

    select
        customer_id,
        invoiced_on,
        net_amount_kzt

    from {{ ref('fct_sales') }}
    where
        customer_id is not null
        and net_amount_kzt is not null

),

days as (

    select
        customer_id,
        invoiced_on as purchased_on,
        sum(net_amount_kzt) as net_amount_kzt,
        count(*) as invoice_count

    from sales
    group by customer_id, invoiced_on

)

select
    customer_id,
    purchased_on,
    net_amount_kzt,
    invoice_count

from days
where net_amount_kzt > 0

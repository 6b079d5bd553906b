{#- One row per customer with at least one purchase: the historical figures that
    customer_rfm scores and customer_ltv publishes, defined once.

    Sales counted: fct_sales rows with a customer and is_kzt (a sale in another
    currency has null KZT amounts and is left out, never converted).
    A purchase is an invoice whose net_amount_kzt is positive; an invoice netting to
    zero or less (fully returned or discounted away) is not a purchase, but its net
    still counts in the revenue, so that net_revenue_kzt is every counted invoice's
    net and sums to fct_sales. A customer whose invoices all net to <= 0 has no
    purchase and no row.
    as_of_date: the latest invoice date in fct_sales (any customer, any currency), the
    day the warehouse's sales history ends; recency and tenure are counted to it. -#}

with

as_of as (

    select max(invoiced_on) as as_of_date
    from {{ ref('fct_sales') }}

),

counted_sales as (

    select
        customer_id,
        invoiced_on,
        net_amount_kzt,
        net_amount_kzt > 0 as is_purchase

    from {{ ref('fct_sales') }}
    where customer_id is not null and is_kzt

),

per_customer as (

    select
        customer_id,
        min(case when is_purchase then invoiced_on end) as first_purchase_on,
        max(case when is_purchase then invoiced_on end) as last_purchase_on,
        count(case when is_purchase then 1 end) as purchase_count,
        count(distinct case when is_purchase then invoiced_on end) as purchase_day_count,
        count(*) as invoice_count,
        sum(net_amount_kzt) as net_revenue_kzt

    from counted_sales
    group by customer_id

),

figures as (

    select
        per_customer.customer_id,
        as_of.as_of_date,
        per_customer.first_purchase_on,
        per_customer.last_purchase_on,
        per_customer.purchase_count,
        per_customer.purchase_day_count,
        per_customer.invoice_count,
        per_customer.net_revenue_kzt,
        as_of.as_of_date - per_customer.last_purchase_on as recency_days,
        as_of.as_of_date - per_customer.first_purchase_on as tenure_days

    from per_customer
    cross join as_of
    where per_customer.purchase_count > 0

)

select
    customer_id,
    as_of_date,
    first_purchase_on,
    last_purchase_on,
    cast(recency_days as integer) as recency_days,
    cast(tenure_days as integer) as tenure_days,
    cast(purchase_count as integer) as purchase_count,
    cast(purchase_day_count as integer) as purchase_day_count,
    cast(invoice_count as integer) as invoice_count,
    cast(net_revenue_kzt as decimal(18, 2)) as net_revenue_kzt,
    cast(round(net_revenue_kzt / purchase_count, 2) as decimal(18, 2)) as average_order_value_kzt,
    -- a month is 365.25 / 12 days; tenure counts as at least one month, so that a
    -- customer met in the last month buys purchase_count times per month, not infinitely
    cast(
        purchase_count / greatest(tenure_days / 30.4375, 1.0) as double
    ) as purchases_per_month

from figures

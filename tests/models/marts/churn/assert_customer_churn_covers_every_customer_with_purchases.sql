-- customer_churn holds exactly the customers with a purchase day (a day of KZT sales
-- netting above zero) on or before its scoring cut-off, counted here from fct_sales.
with

purchasers as (

    select customer_id
    from {{ ref('fct_sales') }}
    where customer_id is not null
        and net_amount_kzt is not null
        and invoiced_on <= (select max(scored_at_cutoff_on) from {{ ref('customer_churn') }})
    group by customer_id, invoiced_on
    having sum(net_amount_kzt) > 0

),

expected as (

    select distinct customer_id
    from purchasers

),

scored as (

    select customer_id
    from {{ ref('customer_churn') }}

)

select
    coalesce(expected.customer_id, scored.customer_id) as customer_id,
    expected.customer_id is null as is_extra_row

from expected
full outer join scored
    on scored.customer_id = expected.customer_id
where expected.customer_id is null
    or scored.customer_id is null

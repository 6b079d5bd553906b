{#- Every customer with a KZT purchase (positive net invoice) in fct_sales is scored in
    customer_rfm and has one segment; nobody else is. -#}

with

purchasing as (

    select distinct customer_id
    from {{ ref('fct_sales') }}
    where customer_id is not null and is_kzt and net_amount_kzt > 0

),

scored as (

    select customer_id, segment
    from {{ ref('customer_rfm') }}

)

select
    coalesce(purchasing.customer_id, scored.customer_id) as customer_id,
    case
        when scored.customer_id is null then 'purchasing customer not scored'
        when purchasing.customer_id is null then 'scored customer without a purchase'
        else 'scored without a segment'
    end as problem

from purchasing
full outer join scored
    on purchasing.customer_id = scored.customer_id
where purchasing.customer_id is null
    or scored.customer_id is null
    or scored.segment is null

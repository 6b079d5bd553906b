{#- One row: how concentrated net revenue is over the customers customer_rfm scores.
    The top 20% are the ceil(20% of the scored customers) with the highest revenue
    (is_top_20_pct_by_revenue); customers_for_80_pct_revenue is the fewest customers,
    by revenue rank, whose revenue reaches 80% of the total. Unresolved sales (no
    customer_id) and non-KZT sales are outside, as in customer_rfm. -#}

with

ranked as (

    select
        as_of_date,
        revenue_rank,
        monetary_kzt,
        cumulative_revenue_share,
        is_top_20_pct_by_revenue

    from {{ ref('customer_rfm') }}

),

totals as (

    select
        max(as_of_date) as as_of_date,
        count(*) as scored_customers,
        sum(monetary_kzt) as total_revenue_kzt,
        count(case when is_top_20_pct_by_revenue then 1 end) as top_20_pct_customers,
        sum(case when is_top_20_pct_by_revenue then monetary_kzt else 0 end) as top_20_pct_revenue_kzt,
        min(case when cumulative_revenue_share >= 0.8 then revenue_rank end) as customers_for_80_pct_revenue

    from ranked

)

select
    as_of_date,
    cast(scored_customers as integer) as scored_customers,
    cast(total_revenue_kzt as decimal(18, 2)) as total_revenue_kzt,
    cast(top_20_pct_customers as integer) as top_20_pct_customers,
    cast(top_20_pct_revenue_kzt as decimal(18, 2)) as top_20_pct_revenue_kzt,
    cast(top_20_pct_revenue_kzt / nullif(total_revenue_kzt, 0) as double) as top_20_pct_revenue_share,
    cast(customers_for_80_pct_revenue as integer) as customers_for_80_pct_revenue,
    cast(customers_for_80_pct_revenue / nullif(scored_customers, 0) as double) as customer_share_for_80_pct_revenue

from totals

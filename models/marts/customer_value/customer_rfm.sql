{#- One row per customer with a purchase (int_customer_purchase_history): recency,
    frequency and monetary value, their quintile scores, the segment the seed
    rfm_segments maps the (R, F) scores to, and the customer's place in the revenue
    Pareto.

    Scores: ntile(5) over all scored customers, 5 = best (most recent, most
    purchases, most revenue), so each score holds a fifth of the customers (sizes
    differ by at most one). Equal values may land in adjacent quintiles: ties are
    broken by the other measures, then by customer_id, so every build scores alike:
      R ties by purchases, then revenue (more ranks higher);
      F ties by revenue, then recency (more recent ranks higher);
      M ties by purchases, then recency.
    Pareto: revenue_rank 1 = the highest net revenue (ties by customer_id);
    cumulative_revenue_share = the revenue of ranks 1..this one over all scored
    customers' revenue. -#}

with

history as (

    select
        customer_id,
        as_of_date,
        last_purchase_on,
        recency_days,
        purchase_count,
        net_revenue_kzt

    from {{ ref('int_customer_purchase_history') }}

),

scored as (

    select
        customer_id,
        as_of_date,
        last_purchase_on,
        recency_days,
        purchase_count,
        net_revenue_kzt,
        -- ntile hands out 1 first: order worst first so that 5 is the best
        ntile(5) over (
            order by recency_days desc, purchase_count asc, net_revenue_kzt asc, customer_id asc
        ) as r_score,
        ntile(5) over (
            order by purchase_count asc, net_revenue_kzt asc, recency_days desc, customer_id asc
        ) as f_score,
        ntile(5) over (
            order by net_revenue_kzt asc, purchase_count asc, recency_days desc, customer_id asc
        ) as m_score,
        row_number() over (
            order by net_revenue_kzt desc, customer_id asc
        ) as revenue_rank,
        sum(net_revenue_kzt) over (
            order by net_revenue_kzt desc, customer_id asc
            rows between unbounded preceding and current row
        ) as cumulative_revenue_kzt,
        sum(net_revenue_kzt) over () as total_revenue_kzt,
        count(*) over () as scored_customers

    from history

),

segments as (

    select
        segment,
        r_score_min,
        r_score_max,
        f_score_min,
        f_score_max

    from {{ ref('rfm_segments') }}

)

select  -- noqa: ST06
    scored.customer_id,
    scored.as_of_date,
    scored.last_purchase_on,
    scored.recency_days,
    scored.purchase_count as frequency,
    scored.net_revenue_kzt as monetary_kzt,
    cast(scored.r_score as integer) as r_score,
    cast(scored.f_score as integer) as f_score,
    cast(scored.m_score as integer) as m_score,
    cast(scored.r_score as varchar) || cast(scored.f_score as varchar) || cast(scored.m_score as varchar) as rfm_cell,
    segments.segment,
    cast(scored.revenue_rank as integer) as revenue_rank,
    cast(scored.revenue_rank / scored.scored_customers as double) as customer_share,
    cast(scored.cumulative_revenue_kzt / nullif(scored.total_revenue_kzt, 0) as double) as cumulative_revenue_share,
    scored.revenue_rank <= ceil(scored.scored_customers * 0.2) as is_top_20_pct_by_revenue

from scored
left join segments
    on
        scored.r_score between segments.r_score_min and segments.r_score_max
        and scored.f_score between segments.f_score_min and segments.f_score_max

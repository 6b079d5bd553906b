{#- Churn features per customer at every cut-off of int_churn_cutoffs (training,
    holdout, scoring): one piece of SQL serves training, evaluation and scoring.

    The population at a cut-off is every customer with a purchase day on or before
    it. Every feature uses only what was known on the cut-off day (events on or
    before it, local dates in Asia/Almaty): "last 90 days" is (cutoff - 90, cutoff],
    "previous 90 days" the 90 days before those.

    - 1C (int_customer_purchase_days): recency, tenure, frequency, monetary value and
      their trend (last 90/180 days against the previous 90/180).
    - Telephony (fct_calls): calls and unanswered calls.
    - Support (fct_tickets): tickets, complaints, complaints still unresolved at the
      cut-off, satisfaction. A score counts only once its ticket was resolved by the
      cut-off (the export has no rating time; a score is given on resolution), so no
      later opinion leaks into an earlier cut-off.
    - CRM (fct_deals): deals open at the cut-off (created on or before it, not closed
      by it), deals lost or won in the last 180 days (closed: close_date).

    Counts are 0, not null, when a source has nothing for the customer; the shares and
    averages are null when there is nothing to average. The log_ columns are
    ln(1 + amount) of the heavy-tailed amounts, for the logistic model. -#}

with

cutoffs as (

    select
        cutoff_name,
        cutoff_on

    from {{ ref('int_churn_cutoffs') }}

),

purchase_days as (

    select
        customer_id,
        purchased_on,
        net_amount_kzt

    from {{ ref('int_customer_purchase_days') }}

),

calls as (

    select
        customer_id,
        cast(called_at at time zone 'Asia/Almaty' as date) as called_on,
        is_answered

    from {{ ref('fct_calls') }}
    where customer_id is not null

),

tickets as (

    select
        customer_id,
        cast(opened_at at time zone 'Asia/Almaty' as date) as opened_on,
        cast(resolved_at at time zone 'Asia/Almaty' as date) as resolved_on,
        is_complaint,
        satisfaction_score

    from {{ ref('fct_tickets') }}
    where customer_id is not null

),

deals as (

    select
        customer_id,
        cast(created_at at time zone 'Asia/Almaty' as date) as created_on,
        close_date,
        is_closed,
        is_won,
        is_lost

    from {{ ref('fct_deals') }}
    where customer_id is not null

),

sales_at_cutoff as (

    select
        cutoffs.cutoff_name,
        cutoffs.cutoff_on,
        purchase_days.customer_id,
        min(purchase_days.purchased_on) as first_purchase_on,
        max(purchase_days.purchased_on) as last_purchase_on,
        count(*) as purchase_days_total,
        sum(case
            when {{ dbt.datediff('purchase_days.purchased_on', 'cutoffs.cutoff_on', 'day') }} < 90
                then 1
            else 0
        end) as purchase_days_last_90,
        sum(case
            when {{ dbt.datediff('purchase_days.purchased_on', 'cutoffs.cutoff_on', 'day') }} between 90 and 179
                then 1
            else 0
        end) as purchase_days_previous_90,
        sum(case
            when {{ dbt.datediff('purchase_days.purchased_on', 'cutoffs.cutoff_on', 'day') }} < 180
                then 1
            else 0
        end) as purchase_days_last_180,
        sum(case
            when {{ dbt.datediff('purchase_days.purchased_on', 'cutoffs.cutoff_on', 'day') }} between 180 and 359
                then 1
            else 0
        end) as purchase_days_previous_180,
        sum(purchase_days.net_amount_kzt) as net_revenue_total_kzt,
        sum(case
            when {{ dbt.datediff('purchase_days.purchased_on', 'cutoffs.cutoff_on', 'day') }} < 180
                then purchase_days.net_amount_kzt
            else 0
        end) as net_revenue_last_180_kzt,
        sum(case
            when {{ dbt.datediff('purchase_days.purchased_on', 'cutoffs.cutoff_on', 'day') }} between 180 and 359
                then purchase_days.net_amount_kzt
            else 0
        end) as net_revenue_previous_180_kzt

    from cutoffs
    inner join purchase_days
        on cutoffs.cutoff_on >= purchase_days.purchased_on
    group by 1, 2, 3

),

calls_at_cutoff as (

    select
        cutoffs.cutoff_name,
        calls.customer_id,
        count(*) as calls_total,
        sum(case
            when {{ dbt.datediff('calls.called_on', 'cutoffs.cutoff_on', 'day') }} < 90
                then 1
            else 0
        end) as calls_last_90,
        sum(case
            when {{ dbt.datediff('calls.called_on', 'cutoffs.cutoff_on', 'day') }} < 180
                then 1
            else 0
        end) as calls_last_180,
        sum(case
            when {{ dbt.datediff('calls.called_on', 'cutoffs.cutoff_on', 'day') }} < 180 and calls.is_answered
                then 1
            else 0
        end) as answered_calls_last_180,
        max(calls.called_on) as last_call_on

    from cutoffs
    inner join calls
        on cutoffs.cutoff_on >= calls.called_on
    group by 1, 2

),

tickets_at_cutoff as (

    select
        cutoffs.cutoff_name,
        tickets.customer_id,
        count(*) as tickets_total,
        sum(case
            when {{ dbt.datediff('tickets.opened_on', 'cutoffs.cutoff_on', 'day') }} < 180
                then 1
            else 0
        end) as tickets_last_180,
        sum(case
            when
                tickets.is_complaint
                and {{ dbt.datediff('tickets.opened_on', 'cutoffs.cutoff_on', 'day') }} < 180
                then 1
            else 0
        end) as complaints_last_180,
        sum(case
            when
                tickets.is_complaint
                and (tickets.resolved_on is null or tickets.resolved_on > cutoffs.cutoff_on)
                then 1
            else 0
        end) as unresolved_complaints,
        sum(case
            when
                tickets.resolved_on <= cutoffs.cutoff_on
                and tickets.satisfaction_score is not null
                then 1
            else 0
        end) as rated_tickets,
        sum(case
            when
                tickets.resolved_on <= cutoffs.cutoff_on
                and tickets.satisfaction_score <= 2
                then 1
            else 0
        end) as low_satisfaction_tickets,
        avg(case
            when tickets.resolved_on <= cutoffs.cutoff_on
                then tickets.satisfaction_score
        end) as average_satisfaction_score

    from cutoffs
    inner join tickets
        on cutoffs.cutoff_on >= tickets.opened_on
    group by 1, 2

),

deals_at_cutoff as (

    select
        cutoffs.cutoff_name,
        deals.customer_id,
        sum(case
            when not deals.is_closed or deals.close_date > cutoffs.cutoff_on
                then 1
            else 0
        end) as open_deals,
        sum(case
            when
                deals.is_lost and deals.close_date <= cutoffs.cutoff_on
                and {{ dbt.datediff('deals.close_date', 'cutoffs.cutoff_on', 'day') }} < 180
                then 1
            else 0
        end) as lost_deals_last_180,
        sum(case
            when
                deals.is_won and deals.close_date <= cutoffs.cutoff_on
                and {{ dbt.datediff('deals.close_date', 'cutoffs.cutoff_on', 'day') }} < 180
                then 1
            else 0
        end) as won_deals_last_180

    from cutoffs
    inner join deals
        on cutoffs.cutoff_on >= deals.created_on
    group by 1, 2

)

select
    sales_at_cutoff.cutoff_name,
    sales_at_cutoff.cutoff_on,
    sales_at_cutoff.customer_id,

    -- 1C
    sales_at_cutoff.first_purchase_on,
    sales_at_cutoff.last_purchase_on,
    {{ dbt.datediff('sales_at_cutoff.last_purchase_on', 'sales_at_cutoff.cutoff_on', 'day') }} as recency_days,
    {{ dbt.datediff('sales_at_cutoff.first_purchase_on', 'sales_at_cutoff.cutoff_on', 'day') }} as tenure_days,
    sales_at_cutoff.purchase_days_total,
    sales_at_cutoff.purchase_days_last_90,
    sales_at_cutoff.purchase_days_previous_90,
    sales_at_cutoff.purchase_days_last_180,
    sales_at_cutoff.purchase_days_previous_180,
    sales_at_cutoff.purchase_days_last_180
    - sales_at_cutoff.purchase_days_previous_180 as purchase_days_trend_180,
    cast(sales_at_cutoff.net_revenue_total_kzt as decimal(18, 2)) as net_revenue_total_kzt,
    cast(sales_at_cutoff.net_revenue_last_180_kzt as decimal(18, 2)) as net_revenue_last_180_kzt,
    cast(sales_at_cutoff.net_revenue_previous_180_kzt as decimal(18, 2)) as net_revenue_previous_180_kzt,
    cast(
        sales_at_cutoff.net_revenue_total_kzt / sales_at_cutoff.purchase_days_total
        as decimal(18, 2)
    ) as average_purchase_kzt,
    ln(1 + greatest(cast(sales_at_cutoff.net_revenue_last_180_kzt as double), 0))
        as log_net_revenue_last_180,
    ln(1 + greatest(cast(sales_at_cutoff.net_revenue_previous_180_kzt as double), 0))
        as log_net_revenue_previous_180,
    ln(
        1 + cast(sales_at_cutoff.net_revenue_total_kzt as double)
        / sales_at_cutoff.purchase_days_total
    ) as log_average_purchase,

    -- telephony
    coalesce(calls_at_cutoff.calls_total, 0) as calls_total,
    coalesce(calls_at_cutoff.calls_last_90, 0) as calls_last_90,
    coalesce(calls_at_cutoff.calls_last_180, 0) as calls_last_180,
    coalesce(calls_at_cutoff.calls_last_180 - calls_at_cutoff.answered_calls_last_180, 0)
        as unanswered_calls_last_180,
    cast(calls_at_cutoff.answered_calls_last_180 as double)
    / nullif(calls_at_cutoff.calls_last_180, 0) as answered_call_share_last_180,
    calls_at_cutoff.last_call_on,

    -- support
    coalesce(tickets_at_cutoff.tickets_total, 0) as tickets_total,
    coalesce(tickets_at_cutoff.tickets_last_180, 0) as tickets_last_180,
    coalesce(tickets_at_cutoff.complaints_last_180, 0) as complaints_last_180,
    coalesce(tickets_at_cutoff.unresolved_complaints, 0) as unresolved_complaints,
    coalesce(tickets_at_cutoff.rated_tickets, 0) as rated_tickets,
    coalesce(tickets_at_cutoff.low_satisfaction_tickets, 0) as low_satisfaction_tickets,
    cast(tickets_at_cutoff.average_satisfaction_score as double) as average_satisfaction_score,

    -- CRM
    coalesce(deals_at_cutoff.open_deals, 0) as open_deals,
    coalesce(deals_at_cutoff.lost_deals_last_180, 0) as lost_deals_last_180,
    coalesce(deals_at_cutoff.won_deals_last_180, 0) as won_deals_last_180

from sales_at_cutoff
left join calls_at_cutoff
    on
        sales_at_cutoff.cutoff_name = calls_at_cutoff.cutoff_name
        and sales_at_cutoff.customer_id = calls_at_cutoff.customer_id
left join tickets_at_cutoff
    on
        sales_at_cutoff.cutoff_name = tickets_at_cutoff.cutoff_name
        and sales_at_cutoff.customer_id = tickets_at_cutoff.customer_id
left join deals_at_cutoff
    on
        sales_at_cutoff.cutoff_name = deals_at_cutoff.cutoff_name
        and sales_at_cutoff.customer_id = deals_at_cutoff.customer_id

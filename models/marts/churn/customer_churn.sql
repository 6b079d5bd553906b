{#- One row per customer with purchases (a purchase day on or before "now", the
    scoring cut-off): the all-sources churn model's probability that they will not
    buy in the next window_days days, its risk band, and the features it read.
    int_churn_scores fits and scores (a Python model); this SQL mart carries the
    enforced contract, which dbt allows on SQL models only. -#}

with

scoring_cutoff as (

    select
        cutoff_on,
        window_days

    from {{ ref('int_churn_cutoffs') }}
    where cutoff_name = 'scoring'

),

features as (

    select
        customer_id,
        first_purchase_on,
        last_purchase_on,
        recency_days,
        tenure_days,
        purchase_days_total,
        purchase_days_last_90,
        purchase_days_previous_90,
        purchase_days_last_180,
        purchase_days_previous_180,
        purchase_days_trend_180,
        net_revenue_total_kzt,
        net_revenue_last_180_kzt,
        net_revenue_previous_180_kzt,
        average_purchase_kzt,
        log_net_revenue_last_180,
        log_net_revenue_previous_180,
        log_average_purchase,
        calls_total,
        calls_last_90,
        calls_last_180,
        unanswered_calls_last_180,
        answered_call_share_last_180,
        last_call_on,
        tickets_total,
        tickets_last_180,
        complaints_last_180,
        unresolved_complaints,
        rated_tickets,
        low_satisfaction_tickets,
        average_satisfaction_score,
        open_deals,
        lost_deals_last_180,
        won_deals_last_180

    from {{ ref('int_churn_features') }}
    where cutoff_name = 'scoring'

),

scores as (

    select
        customer_id,
        churn_probability,
        risk_band,
        trained_at_cutoff_on,
        training_customers,
        model_features,
        unscored_reason

    from {{ ref('int_churn_scores') }}

)

select
    features.customer_id,
    cast(scores.churn_probability as double) as churn_probability,
    scores.risk_band,
    scoring_cutoff.cutoff_on as scored_at_cutoff_on,
    scores.trained_at_cutoff_on,
    cast(scoring_cutoff.window_days as integer) as churn_window_days,
    cast(scores.training_customers as integer) as training_customers,
    scores.model_features,
    scores.unscored_reason,
    features.first_purchase_on,
    features.last_purchase_on,
    cast(features.recency_days as integer) as recency_days,
    cast(features.tenure_days as integer) as tenure_days,
    cast(features.purchase_days_total as integer) as purchase_days_total,
    cast(features.purchase_days_last_90 as integer) as purchase_days_last_90,
    cast(features.purchase_days_previous_90 as integer) as purchase_days_previous_90,
    cast(features.purchase_days_last_180 as integer) as purchase_days_last_180,
    cast(features.purchase_days_previous_180 as integer) as purchase_days_previous_180,
    cast(features.purchase_days_trend_180 as integer) as purchase_days_trend_180,
    cast(features.net_revenue_total_kzt as decimal(18, 2)) as net_revenue_total_kzt,
    cast(features.net_revenue_last_180_kzt as decimal(18, 2)) as net_revenue_last_180_kzt,
    cast(features.net_revenue_previous_180_kzt as decimal(18, 2)) as net_revenue_previous_180_kzt,
    cast(features.average_purchase_kzt as decimal(18, 2)) as average_purchase_kzt,
    cast(features.log_net_revenue_last_180 as double) as log_net_revenue_last_180,
    cast(features.log_net_revenue_previous_180 as double) as log_net_revenue_previous_180,
    cast(features.log_average_purchase as double) as log_average_purchase,
    cast(features.calls_total as integer) as calls_total,
    cast(features.calls_last_90 as integer) as calls_last_90,
    cast(features.calls_last_180 as integer) as calls_last_180,
    cast(features.unanswered_calls_last_180 as integer) as unanswered_calls_last_180,
    cast(features.answered_call_share_last_180 as double) as answered_call_share_last_180,
    features.last_call_on,
    cast(features.tickets_total as integer) as tickets_total,
    cast(features.tickets_last_180 as integer) as tickets_last_180,
    cast(features.complaints_last_180 as integer) as complaints_last_180,
    cast(features.unresolved_complaints as integer) as unresolved_complaints,
    cast(features.rated_tickets as integer) as rated_tickets,
    cast(features.low_satisfaction_tickets as integer) as low_satisfaction_tickets,
    cast(features.average_satisfaction_score as double) as average_satisfaction_score,
    cast(features.open_deals as integer) as open_deals,
    cast(features.lost_deals_last_180 as integer) as lost_deals_last_180,
    cast(features.won_deals_last_180 as integer) as won_deals_last_180

from features
cross join scoring_cutoff
left join scores
    on features.customer_id = scores.customer_id

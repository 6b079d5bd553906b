-- Every churn probability lies in [0, 1] and sits in the risk band the engine's
-- RISK_BANDS give it (low < 0.3 <= medium < 0.6 <= high); a customer has either a
-- probability and a band, or neither and the reason.
select
    customer_id,
    churn_probability,
    risk_band,
    unscored_reason

from {{ ref('customer_churn') }}
where churn_probability < 0
    or churn_probability > 1
    or (churn_probability is null) != (risk_band is null)
    or (churn_probability is null) != (unscored_reason is not null)
    or (churn_probability < 0.3 and risk_band != 'low')
    or (churn_probability >= 0.3 and churn_probability < 0.6 and risk_band != 'medium')
    or (churn_probability >= 0.6 and risk_band != 'high')

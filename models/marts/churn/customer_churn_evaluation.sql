{#- The churn model's time-based hold-out, one row per feature set and metric: fitted
    at the training cut-off, scored at the hold-out cut-off (int_churn_evaluation, a
    Python model). "all sources" against "1C only" on the same customers measures what
    joining calls, tickets and deals to the purchases is worth. -#}

select
    cast(training_cutoff_on as date) as training_cutoff_on,
    cast(holdout_cutoff_on as date) as holdout_cutoff_on,
    cast(window_days as integer) as window_days,
    feature_set,
    metric,
    cast(value as double) as value,  -- noqa: RF04
    evaluation_status,
    reason,
    feature_list,
    {{ dbt.current_timestamp() }} as evaluated_at

from {{ ref('int_churn_evaluation') }}

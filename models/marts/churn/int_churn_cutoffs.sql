{#- The cut-off dates the churn features and labels are computed at, chosen from the
    data's own date range so that training and scoring share one piece of SQL:

    - observed_until: the last day 1C's sales are complete for, the latest
      invoiced_on in fct_sales (or the var churn_observed_until).
    - holdout:  observed_until - window; its label window (holdout, observed_until] is
      the latest one that is fully observed. The evaluation scores this cut-off, and
      the production model is trained on it (the latest cut-off that has labels).
    - training: holdout - window; its label window ends on the hold-out cut-off, so no
      purchase the hold-out labels look at is seen in training.
    - scoring:  observed_until ("now"), features only: its window is the future.

    has_label_window is false when the label window is not fully observed; has_history
    is false when the cut-off falls before the first sale (no customer to label).
    window_days is the var churn_window_days (default 180, the engine's
    DEFAULT_CHURN_WINDOW_DAYS). -#}

{%- set window_days = var('churn_window_days', 180) | int %}
{%- set observed_until = var('churn_observed_until', none) %}

with

sales_range as (

    select
        min(invoiced_on) as history_starts_on,
        {% if observed_until -%}
            cast('{{ observed_until }}' as date) as observed_until
        {%- else -%}
        max(invoiced_on) as observed_until
        {%- endif %}

    from {{ ref('fct_sales') }}

),

cutoffs as (

    select
        'training' as cutoff_name,
        1 as cutoff_order,
        cast({{ dbt.dateadd('day', -2 * window_days, 'observed_until') }} as date) as cutoff_on,
        history_starts_on,
        observed_until
    from sales_range

    union all

    select
        'holdout' as cutoff_name,
        2 as cutoff_order,
        cast({{ dbt.dateadd('day', -window_days, 'observed_until') }} as date) as cutoff_on,
        history_starts_on,
        observed_until
    from sales_range

    union all

    select
        'scoring' as cutoff_name,
        3 as cutoff_order,
        observed_until as cutoff_on,
        history_starts_on,
        observed_until
    from sales_range

)

select
    cutoff_name,
    cutoff_order,
    cutoff_on,
    {{ window_days }} as window_days,
    cast({{ dbt.dateadd('day', window_days, 'cutoff_on') }} as date) as label_window_ends_on,
    history_starts_on,
    observed_until,
    coalesce(
        cast({{ dbt.dateadd('day', window_days, 'cutoff_on') }} as date) <= observed_until,
        false
    ) as has_label_window,
    coalesce(cutoff_on >= history_starts_on, false) as has_history

from cutoffs
where cutoff_on is not null

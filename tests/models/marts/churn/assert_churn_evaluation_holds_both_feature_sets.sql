-- Both feature sets are evaluated side by side or not at all: each has its roc_auc
-- and brier_score rows; an evaluated AUC and Brier score lie in [0, 1]; a null value
-- comes with a reason.
with

expected as (

    select feature_set, metric
    from (values ('all sources'), ('1C only')) as sets (feature_set)
    cross join (values ('roc_auc'), ('brier_score')) as metrics (metric)

),

evaluation as (

    select
        feature_set,
        metric,
        value,
        evaluation_status,
        reason

    from {{ ref('customer_churn_evaluation') }}

)

select
    expected.feature_set,
    expected.metric,
    'missing' as problem

from expected
left join evaluation
    on evaluation.feature_set = expected.feature_set
    and evaluation.metric = expected.metric
where evaluation.metric is null

union all

select
    feature_set,
    metric,
    'out of range or unexplained' as problem

from evaluation
where (metric in ('roc_auc', 'brier_score') and (value < 0 or value > 1))
    or (value is null and reason is null)
    or (evaluation_status = 'evaluated') != (reason is null)

union all

select
    'both' as feature_set,
    'evaluation_status' as metric,
    'the feature sets differ in status' as problem

from evaluation
having count(distinct evaluation_status) > 1

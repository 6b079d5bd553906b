{#- Calibration of the churn model on its hold-out, per feature set: ten groups of
    customers of equal size by predicted probability, mean predicted against observed
    churn rate (int_churn_calibration). Empty when the hold-out cannot be evaluated;
    customer_churn_evaluation then says why. -#}

with

cutoffs as (

    select
        max(case when cutoff_name = 'training' then cutoff_on end) as training_cutoff_on,
        max(case when cutoff_name = 'holdout' then cutoff_on end) as holdout_cutoff_on

    from {{ ref('int_churn_cutoffs') }}

)

select
    calibration.feature_set,
    cast(calibration.bin as integer) as bin,
    cast(calibration.customers as integer) as customers,
    cast(calibration.min_predicted as double) as min_predicted,
    cast(calibration.max_predicted as double) as max_predicted,
    cast(calibration.mean_predicted as double) as mean_predicted,
    cast(calibration.observed_rate as double) as observed_rate,
    cutoffs.training_cutoff_on,
    cutoffs.holdout_cutoff_on

from {{ ref('int_churn_calibration') }} as calibration
cross join cutoffs

{#- Churn labels at every cut-off whose label window is fully observed (the engine's
    CHURN_DEFINITION): a customer with at least one purchase day on or before the
    cut-off is churned when they have no purchase day in the window_days days after
    it, (cutoff_on, label_window_ends_on]. Customers who first buy after the cut-off
    are not labelled at it. -#}

with

cutoffs as (

    select
        cutoff_name,
        cutoff_on,
        label_window_ends_on

    from {{ ref('int_churn_cutoffs') }}
    where has_label_window

),

purchase_days as (

    select
        customer_id,
        purchased_on

    from {{ ref('int_customer_purchase_days') }}

),

known_at_cutoff as (

    select
        cutoffs.cutoff_name,
        cutoffs.cutoff_on,
        cutoffs.label_window_ends_on,
        purchase_days.customer_id,
        max(purchase_days.purchased_on) as last_purchase_on

    from cutoffs
    inner join purchase_days
        on cutoffs.cutoff_on >= purchase_days.purchased_on
    group by 1, 2, 3, 4

),

bought_in_window as (

    select distinct
        cutoffs.cutoff_name,
        purchase_days.customer_id

    from cutoffs
    inner join purchase_days
        on
            cutoffs.cutoff_on < purchase_days.purchased_on
            and cutoffs.label_window_ends_on >= purchase_days.purchased_on

)

select
    known_at_cutoff.cutoff_name,
    known_at_cutoff.cutoff_on,
    known_at_cutoff.customer_id,
    known_at_cutoff.last_purchase_on,
    known_at_cutoff.label_window_ends_on,
    bought_in_window.customer_id is null as is_churned

from known_at_cutoff
left join bought_in_window
    on
        known_at_cutoff.cutoff_name = bought_in_window.cutoff_name
        and known_at_cutoff.customer_id = bought_in_window.customer_id

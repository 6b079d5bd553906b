{#- Every row of revenue_reconciliation explains its whole difference: the CRM won
    total plus the signed causes is the 1C net, to the tiyn. Returns the rows that do
    not add up. -#}

select
    reconciliation_key,
    crm_won_total_kzt,
    onec_net_total_kzt,
    difference_kzt

from {{ ref('revenue_reconciliation') }}
where
    crm_won_total_kzt
    + returns_kzt
    + discounts_kzt
    + never_invoiced_deals_kzt
    + invoices_without_deal_kzt
    + invoices_of_unwon_deals_kzt
    + amount_differences_kzt
    + duplicate_deals_kzt
    + non_kzt_deals_kzt
    + non_kzt_invoices_kzt
    + matched_in_other_branch_kzt
    + matched_to_other_customer_kzt
    + unresolved_customer_kzt
    != onec_net_total_kzt
    or difference_kzt != onec_net_total_kzt - crm_won_total_kzt
    or crm_won_total_kzt is null
    or onec_net_total_kzt is null

{#- "The CRM says the customer bought 500,000 tenge, 1C says a million: why?"

    One row per customer and branch (customer_id null: the entries whose customer is
    not resolved, kept, one row per branch): the KZT total of won CRM deals against
    1C's net revenue, and the difference split into its causes, so that

        crm_won_total_kzt + Σ cause columns = onec_net_total_kzt   (to the tiyn)

    Deals in another currency never count in a KZT sum: they are listed apart
    (non_kzt_won_deal_count, non_kzt_won_deal_amounts). The causes are defined once,
    in int_revenue_entries_attributed and docs/marts.md. -#}

with

entries as (

    select
        {{ dbt.concat(["coalesce(customer_id, '(unresolved)')", "':'", "coalesce(branch, '(no branch)')"]) }} as reconciliation_key,
        entry_key,
        entry_type,
        customer_id,
        branch,
        currency,
        amount,
        is_kzt,
        crm_record_key,
        match_status,
        crm_won_kzt,
        onec_net_kzt,
        returns_kzt,
        discounts_kzt,
        never_invoiced_deals_kzt,
        invoices_without_deal_kzt,
        invoices_of_unwon_deals_kzt,
        amount_differences_kzt,
        duplicate_deals_kzt,
        non_kzt_deals_kzt,
        non_kzt_invoices_kzt,
        matched_in_other_branch_kzt,
        matched_to_other_customer_kzt,
        unresolved_customer_kzt

    from {{ ref('int_revenue_entries_attributed') }}

),

totals as (

    select
        reconciliation_key,
        customer_id,
        branch,
        sum(crm_won_kzt) as crm_won_total_kzt,
        sum(onec_net_kzt) as onec_net_total_kzt,
        sum(returns_kzt) as returns_kzt,
        sum(discounts_kzt) as discounts_kzt,
        sum(never_invoiced_deals_kzt) as never_invoiced_deals_kzt,
        sum(invoices_without_deal_kzt) as invoices_without_deal_kzt,
        sum(invoices_of_unwon_deals_kzt) as invoices_of_unwon_deals_kzt,
        sum(amount_differences_kzt) as amount_differences_kzt,
        sum(duplicate_deals_kzt) as duplicate_deals_kzt,
        sum(non_kzt_deals_kzt) as non_kzt_deals_kzt,
        sum(non_kzt_invoices_kzt) as non_kzt_invoices_kzt,
        sum(matched_in_other_branch_kzt) as matched_in_other_branch_kzt,
        sum(matched_to_other_customer_kzt) as matched_to_other_customer_kzt,
        sum(unresolved_customer_kzt) as unresolved_customer_kzt,
        count(case when entry_type = 'won_deal' then 1 end) as won_deal_count,
        count(case when entry_type = 'won_deal' and match_status = 'matched' then 1 end) as matched_won_deal_count,
        count(case when entry_type = 'won_deal' and match_status = 'never_invoiced' then 1 end)
            as never_invoiced_deal_count,
        count(case when entry_type = 'won_deal' and match_status = 'duplicate' then 1 end) as duplicate_deal_count,
        count(case when entry_type = 'won_deal' and not is_kzt then 1 end) as non_kzt_won_deal_count,
        count(distinct case when entry_type = 'won_deal' then crm_record_key end) as crm_records_with_won_deals,
        count(case when entry_type = 'invoice' then 1 end) as invoice_count,
        count(case when entry_type = 'invoice' and match_status != 'matched' then 1 end) as invoices_without_won_deal_count,
        count(case when entry_type = 'invoice' and not is_kzt then 1 end) as non_kzt_invoice_count

    from entries
    group by reconciliation_key, customer_id, branch

),

non_kzt_won_per_currency as (

    select
        reconciliation_key,
        {{ dbt.concat(["coalesce(currency, '?')", "' '", 'cast(sum(amount) as ' ~ dbt.type_string() ~ ')']) }}
            as currency_total

    from entries
    where entry_type = 'won_deal' and not is_kzt
    group by reconciliation_key, currency

),

non_kzt_won as (

    select
        reconciliation_key,
        string_agg(currency_total, ', ' order by currency_total) as non_kzt_won_deal_amounts

    from non_kzt_won_per_currency
    group by reconciliation_key

),

-- what a CRM user looking at a single CRM record of this customer sees
won_per_crm_record as (

    select
        reconciliation_key,
        crm_record_key,
        sum(crm_won_kzt) as won_kzt

    from entries
    where entry_type = 'won_deal' and crm_record_key is not null
    group by reconciliation_key, crm_record_key

),

largest_crm_record as (

    select
        reconciliation_key,
        max(won_kzt) as largest_crm_record_won_kzt

    from won_per_crm_record
    group by reconciliation_key

),

-- the source records the golden record merged into the customer
customer_records as (

    select
        customer_id,
        count(case when record_key like 'crm:%' and stable_id = customer_id then 1 end) as crm_record_count,
        count(
            distinct case
                when record_key like 'crm:%' and stable_id = customer_id
                    then {{ dbt.split_part('record_key', "':'", 3) }}
            end
        ) as crm_branch_count,
        count(case when record_key like 'onec:counterparties:%' then 1 end) as onec_counterparty_count

    from {{ ref('int_record_customer_ids') }}
    where customer_id is not null
    group by customer_id

)

select
    cast(totals.reconciliation_key as {{ dbt.type_string() }}) as reconciliation_key,
    cast(totals.customer_id as {{ dbt.type_string() }}) as customer_id,
    cast(totals.branch as {{ dbt.type_string() }}) as branch,
    cast(totals.customer_id is not null as boolean) as is_customer_resolved,
    cast(totals.crm_won_total_kzt as decimal(18, 2)) as crm_won_total_kzt,
    cast(totals.onec_net_total_kzt as decimal(18, 2)) as onec_net_total_kzt,
    cast(totals.onec_net_total_kzt - totals.crm_won_total_kzt as decimal(18, 2)) as difference_kzt,
    cast(totals.returns_kzt as decimal(18, 2)) as returns_kzt,
    cast(totals.discounts_kzt as decimal(18, 2)) as discounts_kzt,
    cast(totals.never_invoiced_deals_kzt as decimal(18, 2)) as never_invoiced_deals_kzt,
    cast(totals.invoices_without_deal_kzt as decimal(18, 2)) as invoices_without_deal_kzt,
    cast(totals.invoices_of_unwon_deals_kzt as decimal(18, 2)) as invoices_of_unwon_deals_kzt,
    cast(totals.amount_differences_kzt as decimal(18, 2)) as amount_differences_kzt,
    cast(totals.duplicate_deals_kzt as decimal(18, 2)) as duplicate_deals_kzt,
    cast(totals.non_kzt_deals_kzt as decimal(18, 2)) as non_kzt_deals_kzt,
    cast(totals.non_kzt_invoices_kzt as decimal(18, 2)) as non_kzt_invoices_kzt,
    cast(totals.matched_in_other_branch_kzt as decimal(18, 2)) as matched_in_other_branch_kzt,
    cast(totals.matched_to_other_customer_kzt as decimal(18, 2)) as matched_to_other_customer_kzt,
    cast(totals.unresolved_customer_kzt as decimal(18, 2)) as unresolved_customer_kzt,
    cast(totals.won_deal_count as integer) as won_deal_count,
    cast(totals.matched_won_deal_count as integer) as matched_won_deal_count,
    cast(totals.never_invoiced_deal_count as integer) as never_invoiced_deal_count,
    cast(totals.duplicate_deal_count as integer) as duplicate_deal_count,
    cast(totals.non_kzt_won_deal_count as integer) as non_kzt_won_deal_count,
    cast(non_kzt_won.non_kzt_won_deal_amounts as {{ dbt.type_string() }}) as non_kzt_won_deal_amounts,
    cast(totals.invoice_count as integer) as invoice_count,
    cast(totals.invoices_without_won_deal_count as integer) as invoices_without_won_deal_count,
    cast(totals.non_kzt_invoice_count as integer) as non_kzt_invoice_count,
    cast(totals.crm_records_with_won_deals as integer) as crm_records_with_won_deals,
    cast(largest_crm_record.largest_crm_record_won_kzt as decimal(18, 2)) as largest_crm_record_won_kzt,
    cast(customer_records.crm_record_count as integer) as crm_record_count,
    cast(customer_records.crm_branch_count as integer) as crm_branch_count,
    cast(customer_records.onec_counterparty_count as integer) as onec_counterparty_count

from totals
left join non_kzt_won
    on totals.reconciliation_key = non_kzt_won.reconciliation_key
left join largest_crm_record
    on totals.reconciliation_key = largest_crm_record.reconciliation_key
left join customer_records
    on totals.customer_id = customer_records.customer_id

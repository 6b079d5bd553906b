{#- Every won CRM deal and every 1C invoice as one reconciliation entry, with the
    share of the CRM↔1C difference it explains (docs/marts.md, revenue_reconciliation).

    Matching: a won deal is matched to the 1C invoice whose number it carries
    (UF_CRM_1C_INVOICE, fct_deals.sale_key), whatever the invoice's branch or
    customer. When several won deals carry the same invoice, one is the match (the one
    in the invoice's branch, then of the invoice's customer, then the earliest
    created, then the smallest deal key) and the others are duplicates.

    Signs: for every (customer, branch) row of the mart,
        crm_won_kzt + Σ cause columns = onec_net_kzt
    where a cause is negative when the CRM counts money 1C does not, positive when 1C
    counts money the CRM does not. An entry sits in the row of its own customer and
    branch; a matched pair whose two sides sit in different rows moves the deal's
    amount from the deal's row to the invoice's row through one of the three
    "matched in another row" columns, so that both rows add up. -#}

with

won_deals as (

    select
        deal_key,
        customer_id,
        branch,
        currency,
        amount,
        is_kzt,
        amount_kzt,
        sale_key,
        created_at,
        coalesce(company_record_key, contact_record_key) as crm_record_key

    from {{ ref('fct_deals') }}
    where is_won

),

invoices as (

    select
        sale_key,
        customer_id,
        branch,
        currency,
        is_kzt,
        gross_amount_kzt,
        discount_amount_kzt,
        returned_amount_kzt,
        net_amount_kzt

    from {{ ref('fct_sales') }}

),

-- invoices carried by a deal that is not won (still invoicing, lost, …)
invoices_of_unwon_deals as (

    select distinct sale_key

    from {{ ref('fct_deals') }}
    where not is_won and sale_key is not null

),

won_deals_ranked as (

    select
        won_deals.deal_key,
        won_deals.customer_id,
        won_deals.branch,
        won_deals.currency,
        won_deals.amount,
        won_deals.is_kzt,
        won_deals.amount_kzt,
        won_deals.sale_key,
        won_deals.crm_record_key,
        invoices.customer_id as invoice_customer_id,
        invoices.branch as invoice_branch,
        invoices.is_kzt as invoice_is_kzt,
        case
            when won_deals.sale_key is not null
                then row_number() over (
                    partition by won_deals.sale_key
                    order by
                        case when won_deals.branch = invoices.branch then 0 else 1 end,
                        case when won_deals.customer_id = invoices.customer_id then 0 else 1 end,
                        won_deals.created_at,
                        won_deals.deal_key
                )
        end as match_rank

    from won_deals
    left join invoices
        on won_deals.sale_key = invoices.sale_key

),

won_deals_matched as (

    select
        deal_key,
        customer_id,
        branch,
        currency,
        amount,
        is_kzt,
        amount_kzt,
        sale_key,
        crm_record_key,
        invoice_is_kzt,
        case
            when sale_key is null then 'never_invoiced'
            when match_rank > 1 then 'duplicate'
            else 'matched'
        end as match_status,
        -- where the invoice sits against the deal's (customer, branch) row; a null
        -- customer is a row of its own (per branch), as in the mart
        case
            when sale_key is null or match_rank > 1 then null
            when customer_id is null and invoice_customer_id is null
                then
                    case
                        when branch = invoice_branch or (branch is null and invoice_branch is null) then 'same_row'
                        else 'other_branch'
                    end
            when customer_id is null or invoice_customer_id is null then 'unresolved_customer'
            when customer_id != invoice_customer_id then 'other_customer'
            when branch = invoice_branch or (branch is null and invoice_branch is null) then 'same_row'
            else 'other_branch'
        end as pair_placement

    from won_deals_ranked

),

deal_entries as (

    select
        deal_key as entry_key,
        'won_deal' as entry_type,
        customer_id,
        branch,
        currency,
        amount,
        is_kzt,
        crm_record_key,
        sale_key as matched_key,
        match_status,
        pair_placement,
        coalesce(amount_kzt, 0) as crm_won_kzt,
        0 as onec_net_kzt,
        0 as returns_kzt,
        0 as discounts_kzt,
        case when match_status = 'never_invoiced' then -coalesce(amount_kzt, 0) else 0 end as never_invoiced_deals_kzt,
        0 as invoices_without_deal_kzt,
        0 as invoices_of_unwon_deals_kzt,
        0 as amount_differences_kzt,
        case when match_status = 'duplicate' then -coalesce(amount_kzt, 0) else 0 end as duplicate_deals_kzt,
        0 as non_kzt_deals_kzt,
        case
            when match_status = 'matched' and is_kzt and not invoice_is_kzt then -amount_kzt else 0
        end as non_kzt_invoices_kzt,
        case
            when match_status = 'matched' and is_kzt and invoice_is_kzt and pair_placement = 'other_branch'
                then -amount_kzt
            else 0
        end as matched_in_other_branch_kzt,
        case
            when match_status = 'matched' and is_kzt and invoice_is_kzt and pair_placement = 'other_customer'
                then -amount_kzt
            else 0
        end as matched_to_other_customer_kzt,
        case
            when match_status = 'matched' and is_kzt and invoice_is_kzt and pair_placement = 'unresolved_customer'
                then -amount_kzt
            else 0
        end as unresolved_customer_kzt

    from won_deals_matched

),

invoice_entries as (

    select
        invoices.sale_key as entry_key,
        'invoice' as entry_type,
        invoices.customer_id,
        invoices.branch,
        invoices.currency,
        invoices.gross_amount_kzt as amount,
        invoices.is_kzt,
        cast(null as {{ dbt.type_string() }}) as crm_record_key,
        matches.deal_key as matched_key,
        case
            when matches.deal_key is not null then 'matched'
            when unwon.sale_key is not null then 'deal_not_won'
            else 'without_deal'
        end as match_status,
        matches.pair_placement,
        0 as crm_won_kzt,
        coalesce(invoices.net_amount_kzt, 0) as onec_net_kzt,
        -coalesce(invoices.returned_amount_kzt, 0) as returns_kzt,
        -coalesce(invoices.discount_amount_kzt, 0) as discounts_kzt,
        0 as never_invoiced_deals_kzt,
        case
            when matches.deal_key is null and unwon.sale_key is null then coalesce(invoices.gross_amount_kzt, 0) else 0
        end as invoices_without_deal_kzt,
        case
            when matches.deal_key is null and unwon.sale_key is not null then coalesce(invoices.gross_amount_kzt, 0)
            else 0
        end as invoices_of_unwon_deals_kzt,
        case
            when matches.is_kzt and invoices.is_kzt then invoices.gross_amount_kzt - matches.amount_kzt else 0
        end as amount_differences_kzt,
        0 as duplicate_deals_kzt,
        case when not matches.is_kzt then coalesce(invoices.gross_amount_kzt, 0) else 0 end as non_kzt_deals_kzt,
        0 as non_kzt_invoices_kzt,
        case
            when matches.is_kzt and invoices.is_kzt and matches.pair_placement = 'other_branch' then matches.amount_kzt
            else 0
        end as matched_in_other_branch_kzt,
        case
            when matches.is_kzt and invoices.is_kzt and matches.pair_placement = 'other_customer'
                then matches.amount_kzt
            else 0
        end as matched_to_other_customer_kzt,
        case
            when matches.is_kzt and invoices.is_kzt and matches.pair_placement = 'unresolved_customer'
                then matches.amount_kzt
            else 0
        end as unresolved_customer_kzt

    from invoices
    left join won_deals_matched as matches
        on
            invoices.sale_key = matches.sale_key
            and matches.match_status = 'matched'
    left join invoices_of_unwon_deals as unwon
        on invoices.sale_key = unwon.sale_key

),

entries as (

    select * from deal_entries
    union all
    select * from invoice_entries

)

select
    cast(entry_key as {{ dbt.type_string() }}) as entry_key,
    cast(entry_type as {{ dbt.type_string() }}) as entry_type,
    cast(customer_id as {{ dbt.type_string() }}) as customer_id,
    cast(branch as {{ dbt.type_string() }}) as branch,
    cast(currency as {{ dbt.type_string() }}) as currency,
    cast(amount as decimal(18, 2)) as amount,
    cast(coalesce(is_kzt, false) as boolean) as is_kzt,
    cast(crm_record_key as {{ dbt.type_string() }}) as crm_record_key,
    cast(matched_key as {{ dbt.type_string() }}) as matched_key,
    cast(match_status as {{ dbt.type_string() }}) as match_status,
    cast(pair_placement as {{ dbt.type_string() }}) as pair_placement,
    cast(crm_won_kzt as decimal(18, 2)) as crm_won_kzt,
    cast(onec_net_kzt as decimal(18, 2)) as onec_net_kzt,
    cast(returns_kzt as decimal(18, 2)) as returns_kzt,
    cast(discounts_kzt as decimal(18, 2)) as discounts_kzt,
    cast(never_invoiced_deals_kzt as decimal(18, 2)) as never_invoiced_deals_kzt,
    cast(invoices_without_deal_kzt as decimal(18, 2)) as invoices_without_deal_kzt,
    cast(invoices_of_unwon_deals_kzt as decimal(18, 2)) as invoices_of_unwon_deals_kzt,
    cast(amount_differences_kzt as decimal(18, 2)) as amount_differences_kzt,
    cast(duplicate_deals_kzt as decimal(18, 2)) as duplicate_deals_kzt,
    cast(non_kzt_deals_kzt as decimal(18, 2)) as non_kzt_deals_kzt,
    cast(non_kzt_invoices_kzt as decimal(18, 2)) as non_kzt_invoices_kzt,
    cast(matched_in_other_branch_kzt as decimal(18, 2)) as matched_in_other_branch_kzt,
    cast(matched_to_other_customer_kzt as decimal(18, 2)) as matched_to_other_customer_kzt,
    cast(unresolved_customer_kzt as decimal(18, 2)) as unresolved_customer_kzt

from entries

{#- The 1C side of revenue_reconciliation is the 1C ledger: the sum over the 1C
    invoices of their amount, less the discounts naming them, less the returns of their
    shipments, booked here from staging, independently of fct_sales, equals the sum of
    onec_net_total_kzt to the tiyn. Documents naming an invoice that is not in the
    export belong to no invoice and are outside the ledger. The ledger is in KZT:
    a 1C document in another currency (none has been landed) fails this test on
    purpose, because no rate is landed to tie it out. Also: every invoice and every
    won deal is counted in exactly one row. Returns one row per failed check. -#}

with

ledger_invoices as (

    select
        invoice_number,
        amount,
        currency

    from {{ ref('stg_onec__invoices') }}

),

ledger_discounts as (

    select
        onec_discounts.invoice_number,
        onec_discounts.amount

    from {{ ref('stg_onec__discounts') }} as onec_discounts
    inner join ledger_invoices
        on onec_discounts.invoice_number = ledger_invoices.invoice_number

),

ledger_returns as (

    select
        shipments.invoice_number,
        onec_returns.amount,
        onec_returns.currency

    from {{ ref('stg_onec__returns') }} as onec_returns
    inner join {{ ref('stg_onec__shipments') }} as shipments
        on onec_returns.shipment_number = shipments.shipment_number
    inner join ledger_invoices
        on shipments.invoice_number = ledger_invoices.invoice_number

),

ledger as (

    select
        (select coalesce(sum(amount), 0) from ledger_invoices)
        - (select coalesce(sum(amount), 0) from ledger_discounts)
        - (select coalesce(sum(amount), 0) from ledger_returns) as net_kzt,
        (select count(*) from ledger_invoices) as invoice_count,
        (select count(*) from ledger_invoices where currency is distinct from 'KZT')
        + (select count(*) from ledger_returns where currency is distinct from 'KZT') as non_kzt_documents,
        (select count(*) from {{ ref('stg_crm__deals') }} where is_won) as won_deal_count

),

reconciled as (

    select
        coalesce(sum(onec_net_total_kzt), 0) as net_kzt,
        coalesce(sum(invoice_count), 0) as invoice_count,
        coalesce(sum(won_deal_count), 0) as won_deal_count

    from {{ ref('revenue_reconciliation') }}

),

checks as (

    select
        'onec net revenue = 1C ledger' as failed_check,
        cast(reconciled.net_kzt as {{ dbt.type_string() }}) as reconciliation_value,
        cast(ledger.net_kzt as {{ dbt.type_string() }}) as ledger_value
    from reconciled cross join ledger
    where reconciled.net_kzt != ledger.net_kzt

    union all

    select
        '1C documents not in KZT' as failed_check,
        null as reconciliation_value,
        cast(ledger.non_kzt_documents as {{ dbt.type_string() }}) as ledger_value
    from ledger
    where ledger.non_kzt_documents > 0

    union all

    select
        'every invoice counted once' as failed_check,
        cast(reconciled.invoice_count as {{ dbt.type_string() }}) as reconciliation_value,
        cast(ledger.invoice_count as {{ dbt.type_string() }}) as ledger_value
    from reconciled cross join ledger
    where reconciled.invoice_count != ledger.invoice_count

    union all

    select
        'every won deal counted once' as failed_check,
        cast(reconciled.won_deal_count as {{ dbt.type_string() }}) as reconciliation_value,
        cast(ledger.won_deal_count as {{ dbt.type_string() }}) as ledger_value
    from reconciled cross join ledger
    where reconciled.won_deal_count != ledger.won_deal_count

)

select
    failed_check,
    reconciliation_value,
    ledger_value

from checks

{#- A non-KZT amount never counts silently: every *_kzt amount is null exactly when
    its row is not in KZT, and a sale's net is its gross less discounts and returns.
    Returns the offending rows. -#}

select
    'fct_sales' as fact,
    sale_key as fact_key
from {{ ref('fct_sales') }}
where
    (is_kzt and (gross_amount_kzt is null or net_amount_kzt is null or currency != 'KZT'))
    or (
        not is_kzt
        and coalesce(gross_amount_kzt, discount_amount_kzt, returned_amount_kzt, net_amount_kzt, shipped_amount_kzt)
        is not null
    )
    or net_amount_kzt != gross_amount_kzt - discount_amount_kzt - returned_amount_kzt

union all

select
    'fct_payments' as fact,
    payment_key as fact_key
from {{ ref('fct_payments') }}
where is_kzt != (currency = 'KZT') or (not is_kzt and amount_kzt is not null)

union all

select
    'fct_deals' as fact,
    deal_key as fact_key
from {{ ref('fct_deals') }}
where
    is_kzt != (currency = 'KZT') or (not is_kzt and amount_kzt is not null)
    or (is_kzt and amount_kzt is distinct from amount)

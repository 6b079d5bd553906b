{#- customer_revenue_pareto is one row, whatever the data (even with no customer). -#}

select count(*) as row_count
from {{ ref('customer_revenue_pareto') }}
having count(*) != 1

{#- One row per customer: the table the BI tools and the CRM sync read. The golden
    record's fields, the customer's metrics (LTV, RFM segment, churn risk), the last
    interaction, open tickets and the data-quality flags, each from the one mart that
    defines it; a customer who never bought keeps its row with null metrics. -#}

with

customers as (

    select * from {{ ref('dim_customers') }}

),

contacts_per_customer as (

    select
        customer_id,
        count(*) as contact_count

    from {{ ref('dim_contacts') }}
    where customer_id is not null
    group by customer_id

),

last_interactions as (

    select
        customer_id,
        occurred_at as last_interaction_at,
        channel as last_interaction_channel,
        interaction_type as last_interaction_type,
        interaction_summary as last_interaction_summary

    from {{ ref('fct_customer_interactions') }}
    where customer_id is not null
    qualify row_number() over (
        partition by customer_id
        order by occurred_at desc, customer_sequence_number desc
    ) = 1

),

tickets_per_customer as (

    select
        customer_id,
        count(case when not is_resolved then 1 end) as open_ticket_count,
        count(case when is_unresolved_complaint then 1 end) as unresolved_complaint_count

    from {{ ref('fct_tickets') }}
    where customer_id is not null
    group by customer_id

)

select
    cast(customers.customer_id as {{ dbt.type_string() }}) as customer_id,
    cast(customers.customer_type as {{ dbt.type_string() }}) as customer_type,
    cast(customers.customer_name as {{ dbt.type_string() }}) as customer_name,
    cast(customers.legal_form as {{ dbt.type_string() }}) as legal_form,
    cast(customers.bin_iin as {{ dbt.type_string() }}) as bin_iin,
    cast(customers.phone_e164 as {{ dbt.type_string() }}) as phone_e164,
    cast(customers.email as {{ dbt.type_string() }}) as email,
    cast(customers.city as {{ dbt.type_string() }}) as city,
    cast(customers.address as {{ dbt.type_string() }}) as address,
    cast(customers.branches as {{ dbt.type_string() }}) as branches,
    cast(customers.source_systems as {{ dbt.type_string() }}) as source_systems,
    cast(coalesce(contacts_per_customer.contact_count, 0) as integer) as contact_count,
    cast(ltv.first_purchase_on as date) as first_purchase_on,
    cast(ltv.last_purchase_on as date) as last_purchase_on,
    cast(coalesce(ltv.orders, 0) as integer) as orders,
    cast(coalesce(ltv.net_revenue_kzt, 0) as decimal(18, 2)) as net_revenue_kzt,
    cast(ltv.average_order_value_kzt as decimal(18, 2)) as average_order_value_kzt,
    cast(ltv.predicted_value_12m_kzt as double) as predicted_value_12m_kzt,
    cast(ltv.probability_alive as double) as probability_alive,
    cast(rfm.r_score as integer) as r_score,
    cast(rfm.f_score as integer) as f_score,
    cast(rfm.m_score as integer) as m_score,
    cast(rfm.segment as {{ dbt.type_string() }}) as rfm_segment,
    cast(coalesce(rfm.is_top_20_pct_by_revenue, false) as boolean) as is_top_20_pct_by_revenue,
    cast(churn.churn_probability as double) as churn_probability,
    cast(churn.risk_band as {{ dbt.type_string() }}) as churn_risk_band,
    cast(last_interactions.last_interaction_at as timestamp with time zone) as last_interaction_at,
    cast(last_interactions.last_interaction_channel as {{ dbt.type_string() }}) as last_interaction_channel,
    cast(last_interactions.last_interaction_type as {{ dbt.type_string() }}) as last_interaction_type,
    cast(last_interactions.last_interaction_summary as {{ dbt.type_string() }}) as last_interaction_summary,
    cast(coalesce(tickets_per_customer.open_ticket_count, 0) as integer) as open_ticket_count,
    cast(coalesce(tickets_per_customer.unresolved_complaint_count, 0) as integer) as unresolved_complaint_count,
    cast(customers.source_record_count as integer) as source_record_count,
    -- CRM and 1C records the golden record merged into this customer beyond the first
    cast(greatest(customers.crm_record_count + customers.onec_record_count - 1, 0) as integer)
        as merged_duplicate_count,
    cast(customers.has_conflicting_bin_iin as boolean) as has_conflicting_bin_iin,
    cast(customers.conflicts as {{ dbt.type_string() }}) as data_quality_conflicts,
    cast(customers.phone_e164 is null as boolean) as is_missing_phone,
    cast(customers.email is null as boolean) as is_missing_email,
    cast(customers.bin_iin is null as boolean) as is_missing_bin_iin,
    cast(customers.last_updated_at as timestamp with time zone) as last_updated_at

from customers
left join contacts_per_customer
    on customers.customer_id = contacts_per_customer.customer_id
left join {{ ref('customer_ltv') }} as ltv
    on customers.customer_id = ltv.customer_id
left join {{ ref('customer_rfm') }} as rfm
    on customers.customer_id = rfm.customer_id
left join {{ ref('customer_churn') }} as churn
    on customers.customer_id = churn.customer_id
left join last_interactions
    on customers.customer_id = last_interactions.customer_id
left join tickets_per_customer
    on customers.customer_id = tickets_per_customer.customer_id

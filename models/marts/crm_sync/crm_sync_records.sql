{#- One row per Bitrix24 record (contact or company, per branch portal): what the CRM
    sync writes to it. The record's own stable ID (per_ / org_), the customer it
    belongs to and that customer's figures from customer_360, the golden phone and
    e-mail (written only where the record has none), and, when the portal holds
    several records of the same person or organisation, the one that survives
    (the oldest, lowest ID): the others point at it and are never deleted.

    A record the identity resolution has not placed (no stable ID yet) is left
    out: the sync has nothing true to say about it. -#}

with

crm_records as (

    select
        branch,
        'contact' as entity_type,
        contact_id as crm_id,
        phone_e164 as crm_phone_e164,
        email as crm_email,
        {{ dbt.concat(["'crm:contacts:'", 'branch', "':'", 'cast(contact_id as ' ~ dbt.type_string() ~ ')']) }} as record_key

    from {{ ref('stg_crm__contacts') }}

    union all

    select
        branch,
        'company' as entity_type,
        company_id as crm_id,
        phone_e164 as crm_phone_e164,
        email as crm_email,
        {{ dbt.concat(["'crm:companies:'", 'branch', "':'", 'cast(company_id as ' ~ dbt.type_string() ~ ')']) }} as record_key

    from {{ ref('stg_crm__companies') }}

),

identified as (

    select
        crm_records.*,
        ids.stable_id,
        ids.customer_id

    from crm_records
    inner join {{ ref('int_record_customer_ids') }} as ids
        on crm_records.record_key = ids.record_key

),

survivors as (

    select
        branch,
        entity_type,
        stable_id,
        min(crm_id) as survivor_crm_id

    from identified
    group by branch, entity_type, stable_id

),

golden_contacts as (

    select
        contact_id as stable_id,
        phone_e164,
        email

    from {{ ref('dim_contacts') }}

),

golden_customers as (

    select
        customer_id as stable_id,
        phone_e164,
        email

    from {{ ref('customer_360') }}
    where customer_type = 'organisation'

)

select
    identified.branch,
    identified.entity_type,
    identified.crm_id,
    identified.record_key,
    identified.stable_id as c360_id,
    identified.customer_id,
    customers.customer_name,
    customers.net_revenue_kzt,
    customers.churn_risk_band,
    customers.rfm_segment,
    identified.crm_phone_e164,
    identified.crm_email,
    cast(round(customers.predicted_value_12m_kzt, 2) as double) as ltv_12m_kzt,
    cast(round(customers.churn_probability, 4) as double) as churn_probability,
    case
        when identified.crm_id <> survivors.survivor_crm_id
            then survivors.survivor_crm_id
    end as duplicate_of_crm_id,
    nullif(concat_ws(
        ',',
        case when customers.is_missing_phone then 'missing_phone' end,
        case when customers.is_missing_email then 'missing_email' end,
        case when customers.is_missing_bin_iin then 'missing_bin_iin' end,
        case when customers.has_conflicting_bin_iin then 'conflicting_bin_iin' end
    ), '') as data_quality_flags,
    coalesce(golden_contacts.phone_e164, golden_customers.phone_e164) as golden_phone_e164,
    coalesce(golden_contacts.email, golden_customers.email) as golden_email

from identified
inner join survivors
    on
        identified.branch = survivors.branch
        and identified.entity_type = survivors.entity_type
        and identified.stable_id = survivors.stable_id
left join {{ ref('customer_360') }} as customers
    on identified.customer_id = customers.customer_id
left join golden_contacts
    on identified.entity_type = 'contact' and identified.stable_id = golden_contacts.stable_id
left join golden_customers
    on identified.entity_type = 'company' and identified.stable_id = golden_customers.stable_id

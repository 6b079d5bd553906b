{#- One row per CRM deal of every branch (each branch is its own Bitrix24 portal, so
    a deal is identified by branch and ID). The customer is the deal's company, else
    the customer of the deal's contact (their organisation, or themself when they
    are an individual customer); the contact is the contact's person ID. A deal in
    USD or RUB keeps its row with amount_kzt null and is_kzt = false: no exchange
    rate is landed. -#}

with

deals as (

    select
        branch,
        deal_id,
        deal_title,
        deal_stage,
        pipeline_id,
        amount,
        currency,
        is_closed,
        is_won,
        begin_date,
        close_date,
        contact_id,
        company_id,
        responsible_user_id,
        created_at,
        updated_at,
        onec_invoice_number,
        {{ dbt.concat(["'crm:deals:'", 'branch', "':'", 'cast(deal_id as ' ~ dbt.type_string() ~ ')']) }} as deal_key,
        case
            when company_id is not null
                then {{ dbt.concat(["'crm:companies:'", 'branch', "':'", 'cast(company_id as ' ~ dbt.type_string() ~ ')']) }}
        end as company_record_key,
        case
            when contact_id is not null
                then {{ dbt.concat(["'crm:contacts:'", 'branch', "':'", 'cast(contact_id as ' ~ dbt.type_string() ~ ')']) }}
        end as contact_record_key

    from {{ ref('stg_crm__deals') }}

),

record_ids as (

    select
        record_key,
        contact_id,
        customer_id

    from {{ ref('int_record_customer_ids') }}

),

invoices as (

    select invoice_number

    from {{ ref('stg_onec__invoices') }}

)

select
    cast(deals.deal_key as {{ dbt.type_string() }}) as deal_key,
    cast(deals.deal_key as {{ dbt.type_string() }}) as source_record_key,
    cast(deals.branch as {{ dbt.type_string() }}) as branch,
    cast(deals.deal_id as bigint) as deal_id,
    cast(deals.deal_title as {{ dbt.type_string() }}) as deal_title,
    cast(coalesce(companies.customer_id, contacts.customer_id) as {{ dbt.type_string() }}) as customer_id,
    cast(contacts.contact_id as {{ dbt.type_string() }}) as contact_id,
    cast(deals.company_record_key as {{ dbt.type_string() }}) as company_record_key,
    cast(deals.contact_record_key as {{ dbt.type_string() }}) as contact_record_key,
    cast(deals.deal_stage as {{ dbt.type_string() }}) as deal_stage,
    cast(deals.pipeline_id as bigint) as pipeline_id,
    cast(coalesce(deals.is_won, false) as boolean) as is_won,
    cast(coalesce(deals.is_closed, false) as boolean) as is_closed,
    cast(coalesce(deals.is_closed and not deals.is_won, false) as boolean) as is_lost,
    cast(deals.currency as {{ dbt.type_string() }}) as currency,
    cast(deals.amount as decimal(18, 2)) as amount,
    cast(coalesce(deals.currency = 'KZT', false) as boolean) as is_kzt,
    cast(case when deals.currency = 'KZT' then deals.amount end as decimal(18, 2)) as amount_kzt,
    cast(deals.created_at as timestamp with time zone) as created_at,
    cast(deals.begin_date as date) as begin_date,
    cast(deals.close_date as date) as close_date,
    cast(deals.updated_at as timestamp with time zone) as updated_at,
    cast(deals.responsible_user_id as bigint) as responsible_user_id,
    cast(deals.onec_invoice_number as {{ dbt.type_string() }}) as onec_invoice_number,
    cast(
        case when invoices.invoice_number is not null then {{ dbt.concat(["'onec:invoices:'", 'invoices.invoice_number']) }} end
        as {{ dbt.type_string() }}
    ) as sale_key

from deals
left join record_ids as companies
    on deals.company_record_key = companies.record_key
left join record_ids as contacts
    on deals.contact_record_key = contacts.record_key
left join invoices
    on deals.onec_invoice_number = invoices.invoice_number

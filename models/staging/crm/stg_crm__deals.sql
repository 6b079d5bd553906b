with

source as (

    select * from {{ landed_source('crm', 'deals') }}

),

renamed as (

    select
        branch,
        id as deal_id,
        {{ clean_text('title') }} as deal_title,
        {{ clean_text('stage_id') }} as deal_stage,
        category_id as pipeline_id,
        opportunity as amount,
        {{ clean_text('currency_id') }} as currency,
        closed = 'Y' as is_closed,
        stage_id = 'WON' as is_won,
        cast(begindate at time zone 'Asia/Almaty' as date) as begin_date,
        cast(closedate at time zone 'Asia/Almaty' as date) as close_date,
        contact_id,
        company_id,
        assigned_by_id as responsible_user_id,
        date_create as created_at,
        date_modify as updated_at,
        {{ clean_text('uf_crm_1c_invoice') }} as onec_invoice_number

    from source

)

select * from renamed

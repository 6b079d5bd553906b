with

source as (

    select * from {{ landed_source('crm', 'companies') }}

),

renamed as (

    select
        branch,
        id as company_id,
        {{ clean_text('title') }} as company_name,
        {{ organisation_name_core('title') }} as company_name_core,
        {{ organisation_legal_form('title') }} as legal_form,
        {{ clean_text('company_type') }} as company_type,
        {{ clean_text('industry') }} as industry,
        {{ clean_text('address') }} as address,
        {{ clean_text('address_2') }} as address_2,
        {{ clean_text('address_city') }} as city,
        {{ clean_text('address_postal_code') }} as postcode,
        -- Bitrix24's ADDRESS_PROVINCE is the область, ADDRESS_REGION the район
        coalesce({{ clean_text('address_province') }}, {{ clean_text('address_region') }}) as region,
        {{ clean_text('address_country') }} as country,
        assigned_by_id as responsible_user_id,
        date_create as created_at,
        date_modify as updated_at,
        has_phone = 'Y' as has_phone,
        has_email = 'Y' as has_email,
        {{ bitrix_multifield_values('phone') }} as phones_raw,
        {{ normalize_phone_list(bitrix_multifield_values('phone')) }} as phones_e164,
        {{ list_first(normalize_phone_list(bitrix_multifield_values('phone'))) }} as phone_e164,
        {{ bitrix_multifield_values('email') }} as emails_raw,
        {{ normalize_email_list(bitrix_multifield_values('email')) }} as emails,
        {{ list_first(normalize_email_list(bitrix_multifield_values('email'))) }} as email,
        {{ clean_text('uf_crm_bin') }} as bin,
        {{ iin_bin_is_valid('uf_crm_bin') }} as bin_is_valid,
        {{ clean_text('uf_crm_c360_id') }} as c360_id,
        {{ clean_text('uf_crm_c360_segment') }} as c360_segment

    from source

)

select * from renamed

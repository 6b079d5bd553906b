with

source as (

    select * from {{ landed_source('crm', 'contacts') }}

),

renamed as (

    select
        branch,
        id as contact_id,
        {{ clean_text('name') }} as first_name,
        {{ clean_text('second_name') }} as middle_name,
        {{ clean_text('last_name') }} as last_name,
        {{ clean_text("concat_ws(' ', trim(last_name), trim(name), trim(second_name))") }} as full_name,
        birthdate as birth_date,
        {{ clean_text('type_id') }} as contact_type,
        {{ clean_text('source_id') }} as acquisition_source,
        {{ clean_text('post') }} as job_title,
        {{ clean_text('address') }} as address,
        {{ clean_text('address_2') }} as address_2,
        {{ clean_text('address_city') }} as city,
        {{ clean_text('address_postal_code') }} as postcode,
        -- Bitrix24's ADDRESS_PROVINCE is the область, ADDRESS_REGION the район
        coalesce({{ clean_text('address_province') }}, {{ clean_text('address_region') }}) as region,
        {{ clean_text('address_country') }} as country,
        company_id,
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
        {{ clean_text('uf_crm_iin') }} as iin,
        {{ iin_bin_is_valid('uf_crm_iin') }} as iin_is_valid,
        {{ iin_birth_date('uf_crm_iin') }} as iin_birth_date,
        {{ iin_sex('uf_crm_iin') }} as iin_sex,
        {{ clean_text('uf_crm_c360_id') }} as c360_id,
        {{ clean_text('uf_crm_c360_segment') }} as c360_segment

    from source

)

select * from renamed

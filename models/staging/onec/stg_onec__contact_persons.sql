with

source as (

    select * from {{ landed_source('onec', 'contact_persons') }}

),

renamed as (

    select
        {{ clean_text('code') }} as contact_person_code,
        {{ clean_text('counterparty_code') }} as counterparty_code,
        {{ clean_text("regexp_replace(full_name, '\\s+', ' ', 'g')") }} as full_name,
        {{ clean_text('position') }} as job_title,
        {{ clean_text('phone') }} as phone_raw,
        {{ normalize_phone_list(split_multi_value('phone')) }} as phones_e164,
        {{ list_first(normalize_phone_list(split_multi_value('phone'))) }} as phone_e164,
        {{ clean_text('email') }} as email_raw,
        {{ normalize_email_list(split_multi_value('email')) }} as emails,
        {{ list_first(normalize_email_list(split_multi_value('email'))) }} as email,
        birth_date,
        modified_at as updated_at

    from source

)

select * from renamed

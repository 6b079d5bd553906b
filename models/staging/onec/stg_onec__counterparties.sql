with

source as (

    select * from {{ landed_source('onec', 'counterparties') }}

),

renamed as (

    select
        {{ clean_text('code') }} as counterparty_code,
        {{ clean_text('name') }} as counterparty_name,
        {{ clean_text('full_name') }} as counterparty_full_name,
        {{ organisation_name_core('name') }} as counterparty_name_core,
        coalesce(
            {{ organisation_legal_form('name') }},
            {{ organisation_legal_form('full_name') }},
            case when kind = 'Индивидуальный предприниматель' then 'IP' end
        ) as legal_form,
        {{ clean_text('kind') }} as counterparty_kind,
        case kind
            when 'Юридическое лицо' then 'legal_entity'
            when 'Индивидуальный предприниматель' then 'sole_proprietor'
            when 'Физическое лицо' then 'individual'
        end as counterparty_type,
        {{ clean_text('bin_iin') }} as bin_iin,
        {{ iin_bin_is_valid('bin_iin') }} as bin_iin_is_valid,
        {{ iin_birth_date('bin_iin') }} as iin_birth_date,
        {{ iin_sex('bin_iin') }} as iin_sex,
        {{ clean_text('phone') }} as phone_raw,
        {{ normalize_phone_list(split_multi_value('phone')) }} as phones_e164,
        {{ list_first(normalize_phone_list(split_multi_value('phone'))) }} as phone_e164,
        {{ clean_text('email') }} as email_raw,
        {{ normalize_email_list(split_multi_value('email')) }} as emails,
        {{ list_first(normalize_email_list(split_multi_value('email'))) }} as email,
        {{ clean_text('address') }} as address,
        {{ clean_text('city') }} as city,
        {{ clean_text('postcode') }} as postcode,
        -- ДатаРождения: 1C keeps it for private persons; null in an older export
        birth_date,
        created_date as created_on,
        modified_at as updated_at,
        coalesce(deletion_mark = 'Да', false) as is_marked_for_deletion

    from source

)

select * from renamed

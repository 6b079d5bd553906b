{#- office extensions are 3 digits: the customer is on the other side; calls to the
    office line (10 digits) fall back on the dial plan context -#}
{%- set direction -%}
    case
        when regexp_full_match(trim(src), '[0-9]{3}') and regexp_full_match(trim(dst), '[0-9]{3}')
            then 'internal'
        when regexp_full_match(trim(src), '[0-9]{3}') then 'outbound'
        when regexp_full_match(trim(dst), '[0-9]{3}') then 'inbound'
        when dcontext = 'from-internal' then 'outbound'
        else 'inbound'
    end
{%- endset -%}
{#- the customer's number: src for inbound calls, dst for outbound ones -#}
{%- set customer_phone -%}
    case {{ direction }}
        when 'inbound' then {{ clean_text('src') }}
        when 'outbound' then {{ clean_text('dst') }}
    end
{%- endset -%}

with

source as (

    select * from {{ landed_source('telephony', 'calls') }}

),

renamed as (

    select
        {{ clean_text('uniqueid') }} as call_id,
        calldate as called_at,
        {{ clean_text('clid') }} as caller_id_raw,
        -- the name part of '"Иван Петров" <87771234567>', unless it is just an extension
        case
            when not regexp_full_match(regexp_extract(clid, '^\s*"([^"]*)"', 1), '\s*[0-9+ ]*\s*')
                then trim(regexp_extract(clid, '^\s*"([^"]*)"', 1))
        end as caller_name,
        {{ clean_text('src') }} as source_number_raw,
        {{ clean_text('dst') }} as destination_number_raw,
        {{ direction }} as direction,
        {{ customer_phone }} as customer_phone_raw,
        {{ normalize_phone(customer_phone) }} as customer_phone_e164,
        {{ phone_is_valid(customer_phone) }} as customer_phone_is_valid,
        {{ clean_text('dcontext') }} as dial_context,
        {{ clean_text('channel') }} as source_channel,
        {{ clean_text('dstchannel') }} as destination_channel,
        {{ clean_text('lastapp') }} as last_application,
        {{ clean_text('lastdata') }} as last_application_data,
        duration as duration_seconds,
        billsec as billed_seconds,
        {{ clean_text('disposition') }} as disposition,
        disposition = 'ANSWERED' as is_answered,
        {{ clean_text('amaflags') }} as ama_flags,
        {{ clean_text('accountcode') }} as account_code,
        {{ clean_text('userfield') }} as user_field

    from source

)

select * from renamed

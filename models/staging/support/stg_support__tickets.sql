with

source as (

    select * from {{ landed_source('support', 'tickets') }}

),

renamed as (

    select
        id as ticket_id,
        {{ clean_text('subject') }} as subject,
        {{ clean_text('description') }} as ticket_description,
        {{ clean_text('status') }} as status,
        {{ clean_text('priority') }} as priority,
        {{ clean_text('channel') }} as channel,
        {{ clean_text("regexp_replace(requester_name, '\\s+', ' ', 'g')") }} as requester_name,
        {{ clean_text('requester_email') }} as requester_email_raw,
        {{ normalize_email('requester_email') }} as requester_email,
        {{ clean_text('requester_phone') }} as requester_phone_raw,
        {{ normalize_phone('requester_phone') }} as requester_phone_e164,
        {{ phone_is_valid('requester_phone') }} as requester_phone_is_valid,
        {{ phone_extension('requester_phone') }} as requester_phone_extension,
        satisfaction_score,
        coalesce(cast(json_extract_string(tags, '$[*]') as {{ dbt.type_string() }}[]), []) as tags,  -- noqa: LT01
        created_at,
        updated_at

    from source

)

select * from renamed

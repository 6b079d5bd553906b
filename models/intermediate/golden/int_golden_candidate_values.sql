{#- Every source value that could become a golden field, in long form: one row per
    (stable_id, field, source record) with a non-null value. Persons (entity contact)
    take their own records plus the calls and tickets attributed to them (phone and
    e-mail only); organisations (entity customer) their own records. Only IINs/BINs
    that pass their checksum are candidates. Records gone from the sources
    (still_seen = false) give no values. -#}

{%- set contact_fields = [
    ('full_name', 'records.full_name'),
    ('first_name', 'records.first_name'),
    ('last_name', 'records.last_name'),
    ('middle_name', 'records.middle_name'),
    ('phone_e164', 'records.phone_e164'),
    ('email', 'records.email'),
    ('iin', 'case when records.iin_is_valid then records.iin end'),
    ('birth_date', 'cast(records.birth_date as ' ~ dbt.type_string() ~ ')'),
    ('sex', 'records.sex'),
    ('city', 'records.city'),
    ('address', 'records.address'),
    ('customer_id', 'records.organisation_stable_id'),
] -%}
{%- set event_fields = ['phone_e164', 'email'] -%}
{%- set customer_fields = [
    ('customer_name', 'records.organisation_name'),
    ('legal_form', 'records.legal_form'),
    ('bin_iin', 'case when records.bin_is_valid then records.bin end'),
    ('phone_e164', 'records.phone_e164'),
    ('email', 'records.email'),
    ('city', 'records.city'),
    ('address', 'records.address'),
] -%}

with

crosswalk as (

    select
        record_key,
        entity_type,
        stable_id

    from {{ ref('int_record_crosswalk') }}
    where still_seen

),

person_records as (

    select
        person_ids.stable_id,
        person_records.record_key,
        person_records.source_system,
        person_records.source_table,
        person_records.source_record_id,
        person_records.full_name,
        person_records.first_name,
        person_records.last_name,
        person_records.middle_name,
        person_records.phone_e164,
        person_records.email,
        person_records.iin,
        person_records.iin_is_valid,
        person_records.birth_date,
        person_records.sex,
        person_records.city,
        person_records.address,
        organisation_links.organisation_id as organisation_stable_id,
        person_records.updated_at

    from {{ ref('int_person_records_unioned') }} as person_records
    inner join crosswalk as person_ids
        on
            person_records.record_key = person_ids.record_key
            and person_ids.entity_type = 'person'
    left join {{ ref('int_person_organisation_links') }} as organisation_links
        on person_records.record_key = organisation_links.record_key

),

attributed_events as (

    -- the cluster id is the smallest record_key of the cluster: its stable id is the person's
    select
        person_ids.stable_id,
        event_records.record_key,
        event_records.source_system,
        event_records.source_table,
        event_records.source_record_id,
        event_records.phone_e164,
        event_records.email,
        event_records.updated_at

    from {{ ref('int_event_attributions') }} as attributions
    inner join crosswalk as person_ids
        on
            attributions.cluster_id = person_ids.record_key
            and person_ids.entity_type = 'person'
    inner join {{ ref('int_person_records_unioned') }} as event_records
        on attributions.record_key = event_records.record_key

),

organisation_records as (

    select
        organisation_ids.stable_id,
        organisation_records.record_key,
        organisation_records.source_system,
        organisation_records.source_table,
        organisation_records.source_record_id,
        organisation_records.organisation_name,
        organisation_records.legal_form,
        organisation_records.bin,
        organisation_records.bin_is_valid,
        organisation_records.phone_e164,
        organisation_records.email,
        organisation_records.city,
        organisation_records.address,
        organisation_records.updated_at

    from {{ ref('int_organisation_records_unioned') }} as organisation_records
    inner join crosswalk as organisation_ids
        on
            organisation_records.record_key = organisation_ids.record_key
            and organisation_ids.entity_type = 'organisation'

),

candidates as (

    {% for field_name, expression in contact_fields %}
        select
            'contact' as entity,
            records.stable_id,
            '{{ field_name }}' as field_name,
            {{ expression }} as field_value,
            records.source_system,
            records.source_table,
            records.source_record_id,
            records.record_key,
            records.updated_at
        from person_records as records
        union all
    {% endfor %}
    {% for field_name in event_fields %}
        select
            'contact' as entity,
            records.stable_id,
            '{{ field_name }}' as field_name,
            records.{{ field_name }} as field_value,
            records.source_system,
            records.source_table,
            records.source_record_id,
            records.record_key,
            records.updated_at
        from attributed_events as records
        union all
    {% endfor %}
    {% for field_name, expression in customer_fields %}
        select
            'customer' as entity,
            records.stable_id,
            '{{ field_name }}' as field_name,
            {{ expression }} as field_value,
            records.source_system,
            records.source_table,
            records.source_record_id,
            records.record_key,
            records.updated_at
        from organisation_records as records
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

non_empty_candidates as (

    select
        entity,
        stable_id,
        field_name,
        cast(field_value as {{ dbt.type_string() }}) as field_value,
        source_system,
        source_table,
        source_record_id,
        record_key,
        updated_at

    from candidates
    where field_value is not null

)

select
    entity,
    stable_id,
    field_name,
    field_value,
    source_system,
    source_table,
    source_record_id,
    record_key,
    updated_at

from non_empty_candidates

{#- One row per source system: records it could not land (stg_<source>__rejects) and
    when its last successful load finished (stg_<source>__loads, status 0). A source
    never landed has empty staging views, so it counts 0 rejects and no load. -#}

{%- set source_systems = ['crm', 'onec', 'telephony', 'support'] -%}

with

{% for source_system in source_systems %}
    {{ source_system }}_loads as (

        select
            '{{ source_system }}' as source_system,
            (
                select count(*)
                from {{ ref('stg_' ~ source_system ~ '__rejects') }}
            ) as rejected_records,
            (
                select max(loaded_at)
                from {{ ref('stg_' ~ source_system ~ '__loads') }}
                where load_status = 0
            ) as last_loaded_at

    ),

{% endfor %}
source_loads as (

    {% for source_system in source_systems %}
        select
            source_system,
            cast(rejected_records as bigint) as rejected_records,
            cast(last_loaded_at as timestamp with time zone) as last_loaded_at
        from {{ source_system }}_loads
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

)

select * from source_loads

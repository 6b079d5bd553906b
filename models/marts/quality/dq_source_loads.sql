{#- One row per source system: records it could not land (raw_<source>.rejects, all
    tables) and when its last successful load finished (dlt's _dlt_loads, status 0).
    dlt creates `rejects` with the first rejected record and `_dlt_loads` with the
    first load, so a table that is absent counts 0 rejects / no load. -#}

{%- set source_systems = ['crm', 'onec', 'telephony', 'support'] -%}

with

{% for source_system in source_systems %}
    {%- set rejects = source(source_system, 'rejects') -%}
    {%- set rejects_exist = execute and load_relation(rejects) is not none -%}
{%- set loads = adapter.get_relation(
    database=rejects.database, schema=rejects.schema, identifier='_dlt_loads'
) if execute else none -%}
    {{ source_system }}_loads as (

        select
            '{{ source_system }}' as source_system,
            {% if rejects_exist -%}
                (select count(*) from {{ rejects }}) as rejected_records,
            {%- else -%}
        cast(0 as bigint) as rejected_records,
        {%- endif %}
            {% if loads is not none -%}
                (
                    select max(inserted_at) from {{ loads }}
                    where status = 0
                ) as last_loaded_at
            {%- else -%}
        cast(null as timestamp with time zone) as last_loaded_at
        {%- endif %}

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

{#- The golden record's field columns, written once for dim_customers and dim_contacts.

    golden_fields_pivot(fields): inside a `group by stable_id` over the field winners
    (field_name, field_value, source_system, source_table, source_record_id,
    updated_at), one value column per field plus its four lineage columns
    <field>__source_system / __source_table / __source_record_id / __updated_at.

    golden_lineage_columns(fields, relation): those lineage columns from `relation`,
    typed for the marts' contracts (text; timestamp with time zone for __updated_at).

    Both emit a comma-separated list without a trailing comma. -#}

{% macro golden_fields_pivot(fields) -%}
    {%- for field in fields %}
        {%- set last_field = loop.last %}
        max(case when field_name = '{{ field }}' then field_value end) as {{ field }},
        {%- for part in ['source_system', 'source_table', 'source_record_id', 'updated_at'] %}
        max(case when field_name = '{{ field }}' then {{ part }} end) as {{ field }}__{{ part }}
        {{- '' if (loop.last and last_field) else ',' }}
        {%- endfor %}
    {%- endfor %}
{%- endmacro %}

{% macro golden_lineage_columns(fields, relation) -%}
    {%- for field in fields %}
        {%- set last_field = loop.last %}
        {%- for part in ['source_system', 'source_table', 'source_record_id', 'updated_at'] %}
        {%- set data_type = 'timestamp with time zone' if part == 'updated_at' else dbt.type_string() %}
        cast({{ relation }}.{{ field }}__{{ part }} as {{ data_type }}) as {{ field }}__{{ part }}
        {{- '' if (loop.last and last_field) else ',' }}
        {%- endfor %}
    {%- endfor %}
{%- endmacro %}

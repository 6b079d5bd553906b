{#- Landed tables that may not be there: a company has some source systems, not all.

    landed_source(source_name, table_name) is what staging models select from instead
    of source(): the landed table when dlt has created it, else an empty relation; a
    column declared on the source that the table lacks (an optional 1C column an older
    configuration does not export, a Bitrix24 field a portal does not send) reads as a
    typed null. Either way the columns are the ones declared, with the `data_type`
    declared, in _<source>__sources.yml, so the models downstream keep their shape. -#}

{% macro landed_source(source_name, table_name) -%}
  {{ return(adapter.dispatch('landed_source')(source_name, table_name)) }}
{%- endmacro %}

{% macro default__landed_source(source_name, table_name) -%}
  {#- source() also records the dependency, at parse time as always -#}
  {%- set relation = source(source_name, table_name) -%}
  {#- at parse time nothing can be looked up; in a unit test the source is the fixture -#}
  {%- if not execute or relation.is_cte -%}
    {{- return(relation) -}}
  {%- endif -%}
  {%- set declared = declared_source_columns(source_name, table_name) -%}
  {%- set landed = load_relation(relation) -%}
  {%- set present = [] -%}
  {%- if landed is not none -%}
    {%- for column in adapter.get_columns_in_relation(landed) -%}
      {%- do present.append(column.name | lower) -%}
    {%- endfor -%}
  {%- endif -%}
  (
    select
    {%- for column_name, data_type in declared.items() %}
        {% if column_name in present -%}
          {{ adapter.quote(column_name) }}
        {%- else -%}
          cast(null as {{ data_type }})
        {%- endif %} as {{ adapter.quote(column_name) }}{{ ',' if not loop.last }}
    {%- endfor %}
    {% if landed is not none -%}
    from {{ landed }}
    {%- else -%}
    where 1 = 0
    {%- endif %}
  ) as {{ source_name }}__{{ table_name }}
{%- endmacro %}


{#- The columns declared on a source table, {name: data_type} in declaration order; a
    column without a data_type is a mistake in the yml, raised at compile time. -#}
{% macro declared_source_columns(source_name, table_name) -%}
  {%- set found = [] -%}
  {%- for node in graph.sources.values() -%}
    {%- if node.source_name == source_name and node.name == table_name -%}
      {%- do found.append(node) -%}
    {%- endif -%}
  {%- endfor -%}
  {%- if found | length != 1 -%}
    {{ exceptions.raise_compiler_error("no source " ~ source_name ~ "." ~ table_name ~ " declared") }}
  {%- endif -%}
  {%- set columns = {} -%}
  {%- for column in found[0].columns.values() -%}
    {%- if not column.data_type -%}
      {{ exceptions.raise_compiler_error(
          "source column " ~ source_name ~ "." ~ table_name ~ "." ~ column.name
          ~ " has no data_type: declare its landed type in _" ~ source_name ~ "__sources.yml") }}
    {%- endif -%}
    {%- do columns.update({column.name | lower: column.data_type}) -%}
  {%- endfor -%}
  {{ return(columns) }}
{%- endmacro %}

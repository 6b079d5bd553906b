{#- Multi-value fields as lists: Bitrix24's PHONE/EMAIL JSON lists, 1C's "a, b" text.
    Lists are DuckDB's; another engine gets its own <adapter>__ variant here. -#}

{% macro bitrix_multifield_values(column) -%}
  {{ return(adapter.dispatch('bitrix_multifield_values')(column)) }}
{%- endmacro %}

{% macro default__bitrix_multifield_values(column) -%}
  {#- [{"ID", "VALUE_TYPE", "VALUE", "TYPE_ID"}, ...] → ['VALUE', ...]; absent → [] -#}
  coalesce(
    list_filter(
      cast(json_extract_string({{ column }}, '$[*].VALUE') as {{ dbt.type_string() }}[]),
      lambda v: nullif(trim(v), '') is not null
    ),
    cast([] as {{ dbt.type_string() }}[])
  )
{%- endmacro %}


{% macro split_multi_value(column) -%}
  {{ return(adapter.dispatch('split_multi_value')(column)) }}
{%- endmacro %}

{% macro default__split_multi_value(column) -%}
  {#- "87053370003, 87242511943" → ['87053370003', '87242511943']; empty → [] -#}
  coalesce(
    list_filter(
      list_transform(string_split_regex(cast({{ column }} as {{ dbt.type_string() }}), '[,;]'), lambda v: trim(v)),
      lambda v: v <> ''
    ),
    cast([] as {{ dbt.type_string() }}[])
  )
{%- endmacro %}


{% macro normalize_phone_list(list_column) -%}
  {{ return(adapter.dispatch('normalize_phone_list')(list_column)) }}
{%- endmacro %}

{% macro default__normalize_phone_list(list_column) -%}
  {#- the valid numbers in E.164, in their original order, invalid ones dropped -#}
  list_filter(
    list_transform({{ list_column }}, lambda raw_phone: {{ normalize_phone('raw_phone') }}),
    lambda phone: phone is not null
  )
{%- endmacro %}


{% macro normalize_email_list(list_column) -%}
  {{ return(adapter.dispatch('normalize_email_list')(list_column)) }}
{%- endmacro %}

{% macro default__normalize_email_list(list_column) -%}
  list_filter(
    list_transform({{ list_column }}, lambda raw_email: {{ normalize_email('raw_email') }}),
    lambda email: email is not null
  )
{%- endmacro %}


{% macro list_first(list_column) -%}
  {{ return(adapter.dispatch('list_first')(list_column)) }}
{%- endmacro %}

{% macro default__list_first(list_column) -%}
  list_extract({{ list_column }}, 1)
{%- endmacro %}

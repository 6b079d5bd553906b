{#- Generic test: the combination of columns is unique (dbt_utils' unique_combination_of_columns,
    written here because packages cannot be installed). -#}
{% test unique_combination(model, combination_of_columns) %}
  {{ return(adapter.dispatch('test_unique_combination')(model, combination_of_columns)) }}
{% endtest %}

{% macro default__test_unique_combination(model, combination_of_columns) %}
select
    {{ combination_of_columns | join(', ') }},
    count(*) as duplicate_count
from {{ model }}
group by {{ combination_of_columns | join(', ') }}
having count(*) > 1
{% endmacro %}

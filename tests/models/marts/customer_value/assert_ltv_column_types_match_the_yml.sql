{#- The stand-in for an enforced contract on the LTV Python models (dbt 1.11 enforces
    contracts on SQL models only): every column declared in _customer_value__models.yml exists
    with its data_type, and the table has no column the yml does not declare. -#}

{%- set declared = [] -%}
{%- if execute -%}
    {%- for node in graph.nodes.values()
        if node.resource_type == 'model'
        and node.name in ['customer_ltv', 'customer_ltv_backtest'] -%}
        {%- for column in node.columns.values() -%}
            {%- do declared.append((node.name, column.name, column.data_type)) -%}
        {%- endfor -%}
    {%- endfor -%}
{%- endif %}

with

declared as (

    {% for model_name, column_name, data_type in declared %}
    select
        '{{ model_name }}' as model_name,
        '{{ column_name }}' as column_name,
        upper(replace('{{ data_type }}', ' ', '')) as data_type
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

built as (

    select
        table_name as model_name,
        column_name,
        upper(replace(data_type, ' ', '')) as data_type

    from information_schema.columns
    where table_schema = '{{ ref("customer_ltv").schema }}'
        and table_name in ('customer_ltv', 'customer_ltv_backtest')

)

select
    coalesce(declared.model_name, built.model_name) as model_name,
    coalesce(declared.column_name, built.column_name) as column_name,
    declared.data_type as declared_type,
    built.data_type as built_type

from declared
full outer join built
    on declared.model_name = built.model_name
    and declared.column_name = built.column_name
where declared.data_type is distinct from built.data_type

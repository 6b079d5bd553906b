{#- One master per field: every surviving field of dim_contacts (entity contact) and
    dim_customers (entity customer), recognised by its <field>__source_system lineage
    column, has exactly one row in seeds/survivorship_rules.csv, and every rule
    decides a field that exists. Returns the offenders. Individual customers take
    their fields from the contact rules (name = full_name, bin_iin = iin), so the
    customer rules cover the columns. -#}

with

dim_fields as (

    select
        case dim_columns.table_name
            when 'dim_contacts' then 'contact'
            when 'dim_customers' then 'customer'
        end as entity,
        left(dim_columns.column_name, length(dim_columns.column_name) - length('__source_system')) as field_name

    from information_schema.columns as dim_columns
    where
        dim_columns.table_schema = '{{ ref("dim_contacts").schema }}'
        and dim_columns.table_name in (
            '{{ ref("dim_contacts").identifier }}', '{{ ref("dim_customers").identifier }}'
        )
        and right(dim_columns.column_name, length('__source_system')) = '__source_system'

),

rule_counts as (

    select
        entity,
        field as field_name,
        count(*) as rule_count

    from {{ ref('survivorship_rules') }}
    group by entity, field

),

offenders as (

    select
        coalesce(dim_fields.entity, rule_counts.entity) as entity,
        coalesce(dim_fields.field_name, rule_counts.field_name) as field_name,
        coalesce(rule_counts.rule_count, 0) as rule_count,
        dim_fields.field_name is not null as is_dim_field

    from dim_fields
    full outer join rule_counts
        on
            dim_fields.entity = rule_counts.entity
            and dim_fields.field_name = rule_counts.field_name

)

select
    entity,
    field_name,
    rule_count,
    is_dim_field

from offenders
where rule_count != 1 or not is_dim_field

"""The transform domain: the dbt project built as Dagster assets."""

"""Stand-in for dbt's `adapter` object when SQLFluff renders models on its own."""


def get_relation(database: str, schema: str, identifier: str) -> str:
    return f"{schema}.{identifier}"

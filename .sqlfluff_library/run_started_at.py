"""Stand-in for dbt's `run_started_at` datetime when SQLFluff renders models."""


def isoformat() -> str:
    return "2024-01-01T00:00:00+00:00"

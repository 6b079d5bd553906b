"""Resources shared across domains, configured from customer360's settings."""

from __future__ import annotations

from dagster import ConfigurableResource

from customer360.settings import Settings, load_settings


class Customer360Settings(ConfigurableResource):
    """Where the warehouse, the landing data and the CRMs are.

    Empty fields fall back to c360.toml and the C360_* environment variables, so
    that Dagster, `c360` and dbt read the same place; secrets (the CRM webhook
    token) are never resource config: they come from the environment.
    """

    project_dir: str = ""
    warehouse_path: str = ""
    landing_dir: str = ""
    # the BI copy; empty: [warehouse] published_path, else beside the warehouse
    published_path: str = ""

    def load(self) -> Settings:
        settings = load_settings(self.project_dir or None)
        overrides = {}
        if self.warehouse_path:
            overrides["warehouse_path"] = _absolute(self.warehouse_path, settings)
        if self.published_path:
            overrides["published_warehouse"] = _absolute(self.published_path, settings)
        if self.landing_dir:
            overrides["landing_dir"] = _absolute(self.landing_dir, settings)
        return settings.__class__(**{**settings.__dict__, **overrides})


def _absolute(path: str, settings: Settings):
    from pathlib import Path

    candidate = Path(path).expanduser()
    return candidate if candidate.is_absolute() else settings.project_dir / candidate

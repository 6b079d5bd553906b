"""The sync domain's definitions: the CRM sync asset."""

from __future__ import annotations

from dagster import Definitions

from orchestration.sync.assets import build_sync_asset


def sync_definitions() -> Definitions:
    return Definitions(assets=[build_sync_asset()])

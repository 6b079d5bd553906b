"""The destinations a company has, built from its settings."""

from __future__ import annotations

from customer360.settings import Settings
from reverse_etl.destinations import Destination
from reverse_etl.destinations.amocrm import AmoCrmDestination
from reverse_etl.destinations.bitrix24 import Bitrix24Destination
from reverse_etl.pacing import BucketLimit
from reverse_etl.sync import DEFAULT_MAPPING


def configured_destinations(settings: Settings) -> dict[str, Destination]:
    """Every CRM the settings point at, by name; {} for a company without one."""
    destinations: dict[str, Destination] = {}
    if settings.crm_portals:
        destinations["bitrix24"] = Bitrix24Destination(
            settings.crm_portals,
            BucketLimit(settings.crm_rate_capacity, settings.crm_rate_drain_per_second),
        )
    if settings.amocrm_accounts:
        destinations["amocrm"] = AmoCrmDestination(
            settings.amocrm_accounts, settings.amocrm_requests_per_second
        )
    return destinations


def mapping_path(settings: Settings):
    return settings.sync_mapping or DEFAULT_MAPPING

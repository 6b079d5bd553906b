"""A local HTTP server that speaks the part of Bitrix24's REST API customer360 uses."""

from customer360.bitrix24_standin.faults import Fault, FaultConfig
from customer360.bitrix24_standin.ratelimit import RateLimit
from customer360.bitrix24_standin.server import (
    PortalServer,
    StandinHandle,
    start_standin,
)
from customer360.bitrix24_standin.store import PortalStore

__all__ = [
    "Fault",
    "FaultConfig",
    "PortalServer",
    "PortalStore",
    "RateLimit",
    "StandinHandle",
    "start_standin",
]

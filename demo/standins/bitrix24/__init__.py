"""A local HTTP server that speaks the part of Bitrix24's REST API customer360 uses."""

from demo.standins.bitrix24.faults import Fault, FaultConfig
from demo.standins.bitrix24.operating import OperatingLimit
from demo.standins.bitrix24.ratelimit import RateLimit
from demo.standins.bitrix24.server import (
    PortalServer,
    StandinHandle,
    start_standin,
)
from demo.standins.bitrix24.store import PortalStore

__all__ = [
    "Fault",
    "FaultConfig",
    "OperatingLimit",
    "PortalServer",
    "PortalStore",
    "RateLimit",
    "StandinHandle",
    "start_standin",
]

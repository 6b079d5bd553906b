"""A local HTTP server that speaks the part of amoCRM's API v4 customer360 uses."""

from demo.standins.amocrm.faults import Fault, FaultConfig
from demo.standins.amocrm.ratelimit import RateLimit
from demo.standins.amocrm.server import (
    AccountServer,
    AmoCrmStandin,
    start_amocrm_standin,
)
from demo.standins.amocrm.store import AccountStore, AppliedPatch

__all__ = [
    "AccountServer",
    "AccountStore",
    "AmoCrmStandin",
    "AppliedPatch",
    "Fault",
    "FaultConfig",
    "RateLimit",
    "start_amocrm_standin",
]

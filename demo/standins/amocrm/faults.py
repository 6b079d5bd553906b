"""Failures the amoCRM stand-in can inject: the Bitrix24 stand-in's, plus the two
that matter most to a writer: a 504, and an answer lost after the write happened."""

from __future__ import annotations

import re
from collections.abc import Iterable

from demo.standins.bitrix24.faults import Fault, FaultConfig, FaultInjector

# "lost_answer": the request is carried out (a PATCH is written), then the
# connection closes without an answer, as when a proxy gives up on a slow CRM.
# A client that retries it must not write the same change twice.
AMO_FAULT_KINDS = (
    "http_500",
    "http_502",
    "http_503",
    "http_504",
    "drop",
    "lost_answer",
    "slow",
    "malformed",
    "ok",
)
_AMO_FAULT = re.compile(
    r"^(http_50[0234]|drop|lost_answer|malformed|ok|slow(?::(\d+(?:\.\d+)?))?)$"
)


def parse_fault(text: str | Fault, default_slow: float = 1.0) -> Fault:
    if isinstance(text, Fault):
        return text
    match = _AMO_FAULT.match(str(text).strip())
    if not match:
        raise ValueError(
            f"unknown fault {text!r}; expected one of " + ", ".join(AMO_FAULT_KINDS)
        )
    if match.group(1).startswith("slow"):
        seconds = float(match.group(2)) if match.group(2) else default_slow
        return Fault("slow", seconds)
    return Fault(match.group(1))


class AmoFaultInjector(FaultInjector):
    """The Bitrix24 stand-in's queue and seeded chances, with amoCRM's kinds."""

    def enqueue(self, faults: Iterable[str | Fault]) -> None:
        parsed = [parse_fault(f, self.config.slow_seconds) for f in faults]
        super().enqueue(parsed)


__all__ = ["AMO_FAULT_KINDS", "AmoFaultInjector", "Fault", "FaultConfig", "parse_fault"]

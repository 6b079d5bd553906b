"""What the Bitrix24 and amoCRM stand-ins have in common: the HTTP plumbing of a
keep-alive JSON API, the fault options of their commands, and the seed tally.

Each stand-in keeps its own protocol (routes, answers, limits); only the parts that
do not depend on the CRM live here, so that a third stand-in starts from them.
"""

from __future__ import annotations

import argparse
import socket
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler

from demo.standins.bitrix24.faults import FaultConfig


class KeepAliveHandler(BaseHTTPRequestHandler):
    """A request handler that answers like nginx in front of a CRM, over keep-alive
    connections, and sends every method to ``_handle``."""

    protocol_version = "HTTP/1.1"  # keep-alive, as clients using a session expect
    server_version = "nginx"  # what answers in front of a real CRM
    sys_version = ""

    def setup(self) -> None:
        super().setup()
        # headers and body go out as separate writes; without this, delayed ACKs
        # add 40 ms to every keep-alive answer
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def _handle(self) -> None:
        raise NotImplementedError

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        self._handle()

    def do_POST(self) -> None:  # noqa: N802
        self._handle()

    def do_DELETE(self) -> None:  # noqa: N802
        self._handle()


@dataclass
class UpsertCounts:
    """What seeding a store did."""

    inserted: int = 0
    replaced: int = 0
    kept: int = 0  # the stored record was as new or newer

    def __str__(self) -> str:
        return f"{self.inserted} new, {self.replaced} updated, {self.kept} unchanged"


def add_fault_arguments(parser: argparse.ArgumentParser) -> None:
    """The seeded-chance fault options of a stand-in's ``serve`` command."""
    parser.add_argument("--fail-rate", type=float, default=0.0, help="HTTP 500/502/503")
    parser.add_argument("--slow-rate", type=float, default=0.0)
    parser.add_argument("--slow-seconds", type=float, default=1.0)
    parser.add_argument("--drop-rate", type=float, default=0.0, help="closed sockets")
    parser.add_argument(
        "--malformed-rate", type=float, default=0.0, help="JSON cut short"
    )
    parser.add_argument("--fault-seed", type=int, default=0)
    parser.add_argument(
        "--verbose", action="store_true", help="log each request (token masked)"
    )


def fault_config(args: argparse.Namespace) -> FaultConfig:
    """The options of `add_fault_arguments` as a FaultConfig (ValueError if bad)."""
    return FaultConfig(
        fail_rate=args.fail_rate,
        slow_rate=args.slow_rate,
        drop_rate=args.drop_rate,
        malformed_rate=args.malformed_rate,
        slow_seconds=args.slow_seconds,
        seed=args.fault_seed,
    )

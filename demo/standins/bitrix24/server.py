"""The stand-in's HTTP side: a loopback server per branch portal, and a handle."""

from __future__ import annotations

import contextlib
import hmac
import ipaddress
import json
import re
import socket
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from customer360.settings import CrmPortal
from demo.standins.bitrix24.entities import ENTITIES
from demo.standins.bitrix24.faults import Fault, FaultConfig, FaultInjector
from demo.standins.bitrix24.protocol import (
    ApiError,
    Protocol,
    invalid_credentials,
    parse_body,
    parse_php_query,
    query_limit_exceeded,
    time_block,
)
from demo.standins.bitrix24.ratelimit import LeakyBucket, RateLimit
from demo.standins.bitrix24.store import (
    DEFAULT_TZ_OFFSET,
    PortalStore,
    UpsertCounts,
    seed_store,
)

_REST_PATH = re.compile(r"^/rest/([^/]+)/([^/]+)/([A-Za-z0-9_.]+?)(?:\.json)?/?$")
_CONTROL_PREFIX = "/_standin/"
_GATEWAY_PAGES = {
    500: "500 Internal Server Error",
    502: "502 Bad Gateway",
    503: "503 Service Temporarily Unavailable",
}


class PortalServer(ThreadingHTTPServer):
    """One branch's Bitrix24 portal: its store, webhook, bucket, faults and counters."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(
        self,
        branch: str,
        store: PortalStore,
        token: str,
        user_id: int = 1,
        rate_limit: RateLimit | None = None,
        faults: FaultConfig | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        log_requests: bool = False,
    ) -> None:
        if not token:
            raise ValueError(
                "the stand-in needs a webhook token to check requests against"
            )
        self.branch = branch
        self.store = store
        self.protocol = Protocol(store)
        self.token = token
        self.user_id = str(user_id)
        self.bucket = LeakyBucket(rate_limit or RateLimit())
        self.faults = FaultInjector(faults)
        self.log_requests = log_requests
        self._stats_lock = threading.Lock()
        self._stats: dict[str, Any] = {
            "requests": 0,
            "rate_limited": 0,
            "auth_failures": 0,
            "methods": {},
            "statuses": {},
        }
        super().__init__((host, port), _Handler)

    # -- the Python API tests use ---------------------------------------------

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        host = f"[{host}]" if ":" in str(host) else host
        return f"http://{host}:{port}"

    def inject(self, *faults: str | Fault) -> None:
        """Queue the next faults, e.g. ``inject("http_500", "drop", "slow:1.5")``."""
        self.faults.enqueue(faults)

    def stats(self) -> dict[str, Any]:
        """Counters since start: requests, by method and by status, rate-limited,
        auth failures, faults injected and batch commands run."""
        with self._stats_lock:
            snapshot = json.loads(json.dumps(self._stats))
        snapshot["faults"] = dict(self.faults.injected)
        snapshot["batch_commands"] = self.protocol.batch_commands
        snapshot["bucket_level"] = round(self.bucket.level, 3)
        return snapshot

    def reset_stats(self) -> None:
        with self._stats_lock:
            self._stats.update(requests=0, rate_limited=0, auth_failures=0)
            self._stats["methods"] = {}
            self._stats["statuses"] = {}
        self.faults.injected.clear()
        self.protocol.batch_commands = 0

    def count(self, key: str, sub: str | None = None) -> None:
        with self._stats_lock:
            if sub is None:
                self._stats[key] += 1
            else:
                self._stats[key][sub] = self._stats[key].get(sub, 0) + 1

    def masked(self, text: str) -> str:
        return text.replace(self.token, "***") if self.token else text


class _Handler(BaseHTTPRequestHandler):
    server: PortalServer
    protocol_version = "HTTP/1.1"  # keep-alive, as clients using a session expect
    server_version = "nginx"  # what answers in front of a real portal
    sys_version = ""

    def setup(self) -> None:
        super().setup()
        # headers and body go out as separate writes; without this, delayed ACKs
        # add 40 ms to every keep-alive answer
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        self._handle()

    def do_POST(self) -> None:  # noqa: N802
        self._handle()

    def do_DELETE(self) -> None:  # noqa: N802
        self._handle()

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        # the default logs the path, and the path holds the webhook token
        if self.server.log_requests:
            line = format % args
            sys.stderr.write(f"[{self.server.branch}] {self.server.masked(line)}\n")

    # -- plumbing -------------------------------------------------------------

    def _read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        self.server.count("statuses", str(status))

    def _send_json(self, status: int, payload: Any) -> None:
        body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        self._send(status, body, "application/json; charset=utf-8")

    def _drop(self) -> None:
        """Close the connection without a word, like a proxy that gave up."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    def _handle(self) -> None:
        started = time.time()
        parts = urlsplit(self.path)
        try:
            body = self._read_body()
            if parts.path.startswith(_CONTROL_PREFIX):
                self._control(parts.path[len(_CONTROL_PREFIX) :], body)
                return
            match = _REST_PATH.match(parts.path)
            if not match:
                raise ApiError(
                    404,
                    "NOT_FOUND",
                    "Not found: expected /rest/<user>/<token>/<method>.json",
                )
            self._api(match, parts.query, body, started)
        except ApiError as error:
            self._send_json(error.status, error.body())
        except Exception as error:  # never an HTML traceback: a JSON 500 like Bitrix24
            sys.stderr.write(f"[{self.server.branch}] internal error: {error!r}\n")
            self._send_json(
                500, {"error": "INTERNAL_SERVER_ERROR", "error_description": str(error)}
            )

    def _api(
        self, match: re.Match[str], query: str, body: bytes, started: float
    ) -> None:
        server = self.server
        server.count("requests")
        user_id, token, method = match.groups()
        if not (
            hmac.compare_digest(user_id, server.user_id)
            and hmac.compare_digest(token.encode(), server.token.encode())
        ):
            server.count("auth_failures")
            raise invalid_credentials()
        method = method.lower()
        server.count("methods", method)
        # a batch is one request to the bucket, however many commands it holds
        if not server.bucket.try_acquire():
            server.count("rate_limited")
            raise query_limit_exceeded()
        fault = server.faults.next_fault()
        if fault is not None and fault.kind == "drop":
            self._drop()
            return
        if fault is not None and fault.status:
            title = _GATEWAY_PAGES[fault.status]
            page = f"<html><head><title>{title}</title></head><body>"
            page += f"<center><h1>{title}</h1></center></body></html>"
            self._send(fault.status, page.encode(), "text/html")
            return
        if fault is not None and fault.kind == "slow":
            time.sleep(fault.seconds)
        params = parse_php_query(query)
        params.update(parse_body(body, self.headers.get("Content-Type", "")))
        answer = server.protocol.call(method, params)
        answer["time"] = time_block(started, time.time(), server.store.tz)
        if fault is not None and fault.kind == "malformed":
            # a body cut short, as when a proxy loses the tail of an answer
            text = json.dumps(answer, ensure_ascii=False).encode("utf-8")
            self._send(
                200, text[: max(1, len(text) // 2)], "application/json; charset=utf-8"
            )
            return
        self._send_json(200, answer)

    def _control(self, action: str, body: bytes) -> None:
        server = self.server
        if action == "faults":
            if self.command == "POST":
                try:
                    payload = json.loads(body or b"{}")
                    server.inject(*payload.get("faults", []))
                except (ValueError, AttributeError, TypeError) as error:
                    raise ApiError(400, "INVALID_REQUEST", str(error)) from error
            elif self.command == "DELETE":
                server.faults.clear()
            self._send_json(200, {"pending": server.faults.pending})
        elif action == "stats":
            self._send_json(200, server.stats())
        elif action == "health":
            counts = {e.table: server.store.count(e) for e in ENTITIES.values()}
            self._send_json(200, {"branch": server.branch, "records": counts})
        else:
            raise ApiError(404, "NOT_FOUND", f"unknown control endpoint {action!r}")


def _check_loopback(host: str) -> None:
    if host == "localhost":
        return
    try:
        if ipaddress.ip_address(host).is_loopback:
            return
    except ValueError:
        pass
    raise ValueError(
        f"the stand-in binds loopback addresses only (127.0.0.1, ::1), not {host!r}: "
        "it serves customer records without TLS"
    )


class StandinHandle:
    """Running stand-in portals; stop them with ``stop()`` or a ``with`` block."""

    def __init__(self, servers: dict[str, PortalServer]) -> None:
        self.servers = servers
        self._threads: list[threading.Thread] = []
        for branch, server in servers.items():
            thread = threading.Thread(
                target=server.serve_forever,
                kwargs={"poll_interval": 0.1},
                name=f"bitrix24-standin-{branch}",
                daemon=True,
            )
            thread.start()
            self._threads.append(thread)

    @property
    def urls(self) -> dict[str, str]:
        """Branch → base URL (``http://127.0.0.1:PORT``), as in ``[crm] portals``."""
        return {branch: server.url for branch, server in self.servers.items()}

    def portal(self, branch: str) -> PortalServer:
        try:
            return self.servers[branch]
        except KeyError:
            raise KeyError(f"no stand-in portal for branch {branch!r}") from None

    def crm_portals(self) -> tuple[CrmPortal, ...]:
        """Settings-shaped portals pointing here, for the CRM pipeline."""
        return tuple(
            CrmPortal(branch=b, base_url=s.url, user_id=int(s.user_id), token=s.token)
            for b, s in self.servers.items()
        )

    def stop(self) -> None:
        for server in self.servers.values():
            server.shutdown()
            server.server_close()
            server.store.close()
        for thread in self._threads:
            thread.join(timeout=5)
        self.servers = {}

    def __enter__(self) -> StandinHandle:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def store_path(data_dir: Path, branch: str) -> Path:
    return Path(data_dir) / f"{branch}.sqlite3"


def seed_file(landing_dir: Path, branch: str) -> Path:
    return Path(landing_dir) / "crm" / f"{branch}.json"


def open_store(
    data_dir: Path, branch: str, tz_offset: str = DEFAULT_TZ_OFFSET
) -> PortalStore:
    return PortalStore(store_path(data_dir, branch), tz_offset)


def seed_portal(
    store: PortalStore, landing_dir: Path | None, branch: str, reseed: bool = False
) -> dict[str, UpsertCounts] | None:
    """Upsert the branch's seed file into its store; None when there is no file."""
    if reseed:
        store.reset()
    if landing_dir is None or not seed_file(landing_dir, branch).is_file():
        return None
    return seed_store(store, seed_file(landing_dir, branch))


def start_standin(
    data_dir: Path,
    portals: Mapping[str, int] | Sequence[str],
    token: str,
    user_id: int = 1,
    rate_limit: RateLimit | None = None,
    faults: FaultConfig | None = None,
    host: str = "127.0.0.1",
    seed_from: Path | None = None,
    reseed: bool = False,
    tz_offset: str = DEFAULT_TZ_OFFSET,
    log_requests: bool = False,
) -> StandinHandle:
    """Start one portal per branch (port 0 = any free port) and return their handle.

    ``seed_from`` is a landing folder: ``<seed_from>/crm/<branch>.json`` is upserted
    into the branch's store when it exists; ``reseed`` wipes the store first.
    """
    _check_loopback(host)
    ports = dict(portals) if isinstance(portals, Mapping) else dict.fromkeys(portals, 0)
    servers: dict[str, PortalServer] = {}
    try:
        for branch, port in ports.items():
            store = open_store(data_dir, branch, tz_offset)
            try:
                seed_portal(store, seed_from, branch, reseed)
                servers[branch] = PortalServer(
                    branch,
                    store,
                    token=token,
                    user_id=user_id,
                    rate_limit=rate_limit,
                    faults=faults,
                    host=host,
                    port=int(port),
                    log_requests=log_requests,
                )
            except BaseException:
                store.close()
                raise
    except BaseException:
        for server in servers.values():
            server.server_close()
            server.store.close()
        raise
    return StandinHandle(servers)

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
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from customer360.settings import CrmPortal
from demo.standins.bitrix24.entities import ENTITIES, Entity, entity_named
from demo.standins.bitrix24.faults import Fault, FaultConfig, FaultInjector
from demo.standins.bitrix24.operating import OperatingLimit, OperatingMeter
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
    seed_store,
)
from demo.standins.shared import KeepAliveHandler, UpsertCounts

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
        operating_limit: OperatingLimit | None = None,
    ) -> None:
        if not token:
            raise ValueError(
                "the stand-in needs a webhook token to check requests against"
            )
        self.branch = branch
        self.store = store
        self.operating = OperatingMeter(operating_limit)
        self.protocol = Protocol(store, self.operating)
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

    def fail_record(
        self,
        entity: str | Entity,
        record_id: Any,
        error: str = "ERROR_CORE",
        description: str = "The record cannot be saved.",
        status: int = 400,
        times: int | None = None,
    ) -> None:
        """Refuse updates of one record with this error (in a batch: under the
        command's key in ``result_error``); ``times`` N: only the next N, then
        updates go through again; None: until cleared."""
        self.protocol.fail_record(
            entity_named(entity), record_id, error, description, status, times
        )

    def clear_record_failures(
        self, entity: str | Entity | None = None, record_id: Any = None
    ) -> None:
        self.protocol.clear_record_failures(
            None if entity is None else entity_named(entity), record_id
        )

    def delete_record(self, entity: str | Entity, record_id: Any) -> bool:
        """Delete a record, as a manager would: updates of it are then not found."""
        return self.store.delete(entity_named(entity), record_id)

    def block_method(self, method: str, seconds: float) -> None:
        """Answer the method 429 OPERATION_TIME_LIMIT for the next `seconds`
        (inside a batch: each of its commands, in ``result_error``)."""
        self.operating.block(method, seconds)

    def unblock_methods(self) -> None:
        """Lift forced blocks and forget the operating time counted so far."""
        self.operating.unblock()

    def operating_usage(self, method: str) -> tuple[float, int]:
        """(operating, operating_reset_at) of a method, as ``time`` reports them."""
        return self.operating.usage(method.lower())

    def update_counts(
        self, entity: str | Entity | None = None
    ) -> dict[str, dict[str, int]]:
        """Updates applied per record since the store was made (they survive a
        restart): ``{"contact": {"5": 1}}``."""
        return self.store.update_counts(
            None if entity is None else entity_named(entity)
        )

    def stats(self) -> dict[str, Any]:
        """Counters since start: requests, by method and by status, rate-limited,
        auth failures, faults injected, batch commands run, operating-time
        refusals and record failures answered; and, from the store's audit,
        the updates applied (in total and per record)."""
        with self._stats_lock:
            snapshot = json.loads(json.dumps(self._stats))
        snapshot["faults"] = dict(self.faults.injected)
        snapshot["batch_commands"] = self.protocol.batch_commands
        snapshot["bucket_level"] = round(self.bucket.level, 3)
        snapshot["operation_time_limited"] = dict(self.operating.refused)
        snapshot["record_failures_answered"] = self.protocol.failures_answered
        by_record = self.store.update_counts()
        snapshot["updates_by_record"] = by_record
        snapshot["updates_applied"] = sum(
            sum(counts.values()) for counts in by_record.values()
        )
        return snapshot

    def reset_stats(self) -> None:
        with self._stats_lock:
            self._stats.update(requests=0, rate_limited=0, auth_failures=0)
            self._stats["methods"] = {}
            self._stats["statuses"] = {}
        self.faults.injected.clear()
        self.protocol.batch_commands = 0
        self.protocol.failures_answered = 0
        self.operating.refused.clear()

    def count(self, key: str, sub: str | None = None) -> None:
        with self._stats_lock:
            if sub is None:
                self._stats[key] += 1
            else:
                self._stats[key][sub] = self._stats[key].get(sub, 0) + 1

    def masked(self, text: str) -> str:
        return text.replace(self.token, "***") if self.token else text


class _Handler(KeepAliveHandler):
    server: PortalServer

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
        answer["time"] = time_block(
            started, time.time(), server.store.tz, *server.operating.usage(method)
        )
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
        elif action == "record_failures":
            self._record_failures(body)
        elif action.startswith("records/") and self.command == "DELETE":
            _, entity, record_id = (action.split("/") + ["", ""])[:3]
            deleted = server.delete_record(_entity(entity), record_id)
            self._send_json(200 if deleted else 404, {"deleted": deleted})
        elif action == "operating":
            self._operating(body)
        elif action == "audit":
            if self.command == "DELETE":
                server.store.clear_audit()
            by_record = server.update_counts()
            total = sum(sum(counts.values()) for counts in by_record.values())
            self._send_json(200, {"updates_applied": total, "by_record": by_record})
        elif action == "health":
            counts = {e.table: server.store.count(e) for e in ENTITIES.values()}
            self._send_json(200, {"branch": server.branch, "records": counts})
        else:
            raise ApiError(404, "NOT_FOUND", f"unknown control endpoint {action!r}")

    def _record_failures(self, body: bytes) -> None:
        server = self.server
        if self.command in ("POST", "DELETE"):
            payload = _json_object(body)
            entity = payload.get("entity")
            if self.command == "DELETE":
                server.clear_record_failures(
                    None if entity is None else _entity(entity), payload.get("id")
                )
            else:
                if entity is None or payload.get("id") in (None, ""):
                    raise ApiError(400, "INVALID_REQUEST", "entity and id are needed")
                try:
                    server.fail_record(
                        _entity(entity),
                        payload["id"],
                        str(payload.get("error", "ERROR_CORE")),
                        str(
                            payload.get(
                                "error_description", "The record cannot be saved."
                            )
                        ),
                        int(payload.get("status", 400)),
                        None if payload.get("times") is None else int(payload["times"]),
                    )
                except (TypeError, ValueError) as error:
                    raise ApiError(400, "INVALID_REQUEST", str(error)) from error
        self._send_json(200, {"failures": server.protocol.record_failures()})

    def _operating(self, body: bytes) -> None:
        server = self.server
        if self.command == "POST":
            payload = _json_object(body)
            method = str(payload.get("method") or "").strip().lower()
            try:
                seconds = float(payload.get("seconds", 0))
            except (TypeError, ValueError) as error:
                raise ApiError(400, "INVALID_REQUEST", str(error)) from error
            if not method:
                raise ApiError(400, "INVALID_REQUEST", "method is needed")
            server.block_method(method, seconds)
        elif self.command == "DELETE":
            server.unblock_methods()
        limit = server.operating.limit
        self._send_json(
            200,
            {
                "limit_seconds": limit.limit_seconds,
                "window_seconds": limit.window_seconds,
                "cost_per_call": limit.cost_per_call,
                "refused": dict(server.operating.refused),
            },
        )


def _json_object(body: bytes) -> dict[str, Any]:
    try:
        payload = json.loads(body or b"{}")
    except ValueError as error:
        raise ApiError(400, "INVALID_REQUEST", str(error)) from error
    if not isinstance(payload, dict):
        raise ApiError(400, "INVALID_REQUEST", "expected a JSON object")
    return payload


def _entity(name: Any) -> Entity:
    try:
        return entity_named(str(name))
    except KeyError as error:
        raise ApiError(400, "INVALID_REQUEST", str(error.args[0])) from error


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
    operating_limit: OperatingLimit | None = None,
) -> StandinHandle:
    """Start one portal per branch (port 0 = any free port) and return their handle.

    ``seed_from`` is a landing folder: ``<seed_from>/crm/<branch>.json`` is upserted
    into the branch's store when it exists; ``reseed`` wipes the store first.
    ``operating_limit`` defaults to Bitrix24's (480 s of a method within 600 s).
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
                    operating_limit=operating_limit,
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

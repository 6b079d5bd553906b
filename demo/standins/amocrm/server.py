"""The amoCRM stand-in's HTTP side: a loopback server for one account, and a handle
that tests and the demo hold."""

from __future__ import annotations

import contextlib
import hmac
import json
import re
import socket
import sys
import threading
import time
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from demo.standins.amocrm.faults import AmoFaultInjector, Fault, FaultConfig
from demo.standins.amocrm.fields import ENTITIES
from demo.standins.amocrm.protocol import (
    MAX_BATCH,
    NOT_A_CHOICE,
    PROBLEM,
    AmoProtocol,
    Answer,
    ApiProblem,
    RecordFailure,
    method_not_allowed,
    not_found,
    too_many_requests,
    unauthorized,
)
from demo.standins.amocrm.ratelimit import RateLimit, SlidingWindow
from demo.standins.amocrm.seed import SeedSource, seed_account
from demo.standins.amocrm.store import AccountStore, AppliedPatch
from demo.standins.bitrix24.server import _check_loopback
from demo.standins.shared import KeepAliveHandler, UpsertCounts

_ENTITY = "|".join(ENTITIES)
_ROUTES = (
    (re.compile(rf"^/api/v4/({_ENTITY})/custom_fields/?$"), "fields"),
    (re.compile(rf"^/api/v4/({_ENTITY})/custom_fields/(\d+)/?$"), "field"),
    (re.compile(rf"^/api/v4/({_ENTITY})/?$"), "records"),
    (re.compile(rf"^/api/v4/({_ENTITY})/([^/]+)/?$"), "record"),
    (re.compile(r"^/api/v4/account/?$"), "account"),
)
_ALLOWED = {
    "fields": ("GET", "POST"),
    "field": ("GET",),
    "records": ("GET", "PATCH"),
    "record": ("GET", "PATCH"),
    "account": ("GET",),
}
_CONTROL_PREFIX = "/_standin/"


def _gateway_page(status: int, reason: str) -> bytes:
    """The nginx page amoCRM's gateway answers with (403 while blocked, 5xx)."""
    title = f"{status} {reason}"
    return (
        f"<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n"
        f"<center><h1>{title}</h1></center>\r\n<hr><center>nginx</center>\r\n"
        "</body>\r\n</html>\r\n"
    ).encode()


_REASONS = {
    403: "Forbidden",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Temporarily Unavailable",
    504: "Gateway Time-out",
}


class AccountServer(ThreadingHTTPServer):
    """One amoCRM account: its store, token, limit, faults and counters."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(
        self,
        store: AccountStore,
        token: str,
        rate_limit: RateLimit | None = None,
        faults: FaultConfig | None = None,
        max_batch: int = MAX_BATCH,
        subdomain: str = "demo",
        host: str = "127.0.0.1",
        port: int = 0,
        log_requests: bool = False,
    ) -> None:
        if not token:
            raise ValueError("the stand-in needs a token to check requests against")
        self.store = store
        self.protocol = AmoProtocol(store, max_batch=max_batch, subdomain=subdomain)
        self.token = token
        self.limiter = SlidingWindow(rate_limit or RateLimit())
        self.faults = AmoFaultInjector(faults)
        self.log_requests = log_requests
        self._stats_lock = threading.Lock()
        self._stats: dict[str, Any] = {}
        self.reset_stats()
        super().__init__((host, port), _Handler)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        host = f"[{host}]" if ":" in str(host) else host
        return f"http://{host}:{port}"

    def count(self, key: str, sub: str | None = None, by: int = 1) -> None:
        with self._stats_lock:
            if sub is None:
                self._stats[key] += by
            else:
                self._stats[key][sub] = self._stats[key].get(sub, 0) + by

    def stats(self) -> dict[str, Any]:
        with self._stats_lock:
            snapshot = json.loads(json.dumps(self._stats))
        snapshot["faults"] = dict(self.faults.injected)
        snapshot["blocked_now"] = self.limiter.blocked
        return snapshot

    def reset_stats(self) -> None:
        with self._stats_lock:
            self._stats = {
                "requests": 0,
                "rate_limited": 0,  # answered 429
                "blocked": 0,  # answered 403 while the account was blocked
                "auth_failures": 0,
                "patched_entities": 0,
                "methods": {},  # "PATCH contacts": 3
                "statuses": {},
            }
        self.faults.injected.clear()

    def masked(self, text: str) -> str:
        return text.replace(self.token, "***")


class _Handler(KeepAliveHandler):
    server: AccountServer

    def do_PATCH(self) -> None:  # noqa: N802 (http.server's naming)
        self._handle()

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        if self.server.log_requests:
            sys.stderr.write(f"[amocrm] {self.server.masked(format % args)}\n")

    # -- plumbing -------------------------------------------------------------

    def _read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _send(self, status: int, body: bytes | None, content_type: str = "") -> None:
        self.send_response(status)
        if status == 204:  # no body, and no length either
            self.end_headers()
        else:
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body or b"")))
            self.end_headers()
            self.wfile.write(body or b"")
        self.server.count("statuses", str(status))

    def _send_json(self, status: int, payload: Any, content_type: str) -> None:
        body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        self._send(status, body, content_type)

    def _send_problem(self, problem: ApiProblem) -> None:
        self._send_json(problem.status, problem.body(), PROBLEM)

    def _drop(self) -> None:
        """Close the connection without a word, like a proxy that gave up."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    @property
    def _base(self) -> str:
        host = self.headers.get("Host") or urlsplit(self.server.url).netloc
        return f"http://{host}"

    def _handle(self) -> None:
        parts = urlsplit(self.path)
        try:
            body = self._read_body()
            if parts.path.startswith(_CONTROL_PREFIX):
                self._control(parts.path[len(_CONTROL_PREFIX) :], body)
                return
            self._api(parts.path, parts.query, body)
        except ApiProblem as problem:
            self._send_problem(problem)
        except Exception as failure:  # never a traceback page: a JSON 500
            sys.stderr.write(f"[amocrm] internal error: {failure!r}\n")
            self._send_json(
                500,
                {"title": "ErrInternalServer", "status": 500, "detail": str(failure)},
                PROBLEM,
            )

    def _api(self, path: str, query: str, raw: bytes) -> None:
        server = self.server
        server.count("requests")
        verdict = server.limiter.check()
        if verdict.blocked:
            server.count("blocked")
            self._send(403, _gateway_page(403, _REASONS[403]), "text/html")
            return
        if not verdict.allowed:
            server.count("rate_limited")
            if server.limiter.limit.refusal_body == "html":
                self._send(429, _gateway_page(429, _REASONS[429]), "text/html")
                return
            raise too_many_requests(verdict.retry_after)
        scheme, _, token = (self.headers.get("Authorization") or "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(
            token.strip().encode(), server.token.encode()
        ):
            server.count("auth_failures")
            raise unauthorized()
        fault = server.faults.next_fault()
        if fault is not None and fault.kind == "drop":
            self._drop()
            return
        if fault is not None and fault.status:
            page = _gateway_page(fault.status, _REASONS[fault.status])
            self._send(fault.status, page, "text/html")
            return
        if fault is not None and fault.kind == "slow":
            time.sleep(fault.seconds)
        answer = self._dispatch(path, query, raw)
        if fault is not None and fault.kind == "lost_answer":
            self._drop()  # carried out, but the client never hears of it
            return
        if answer.status == 204:
            self._send(204, None)
            return
        text = json.dumps(answer.payload, ensure_ascii=False).encode("utf-8")
        if fault is not None and fault.kind == "malformed":
            text = text[: max(1, len(text) // 2)]
        self._send(answer.status, text, answer.content_type)

    def _dispatch(self, path: str, query: str, raw: bytes) -> Answer:
        server, protocol, base = self.server, self.server.protocol, self._base
        found = next(((m, route) for p, route in _ROUTES if (m := p.match(path))), None)
        if found is None:
            raise not_found(self.command, f"{base}{path}")
        match, route = found
        if self.command not in _ALLOWED[route]:
            raise method_not_allowed()
        entity = match.group(1) if route != "account" else ""
        server.count("methods", f"{self.command} {route}")
        if route == "account":
            return protocol.account(base)
        if route == "fields":
            if self.command == "GET":
                return protocol.list_fields(entity, query, base)
            return protocol.create_fields(entity, _json(raw), base)
        if route == "field":
            return protocol.get_field(entity, match.group(2), base)
        if route == "records" and self.command == "GET":
            return protocol.list_records(entity, query, base)
        if self.command == "GET":
            return protocol.get_record(entity, match.group(2), base)
        record_id = match.group(2) if route == "record" else None
        answer = protocol.patch_records(entity, _json(raw), base, record_id)
        written = answer.payload.get("_embedded", {}).get(entity, [answer.payload])
        server.count("patched_entities", by=len(written))
        return answer

    def _control(self, action: str, raw: bytes) -> None:
        server = self.server
        if action == "faults":
            if self.command == "POST":
                try:
                    payload = json.loads(raw or b"{}")
                    server.faults.enqueue(payload.get("faults", []))
                except (ValueError, AttributeError, TypeError) as failure:
                    raise ApiProblem(400, "Bad Request", str(failure)) from failure
            elif self.command == "DELETE":
                server.faults.clear()
            self._send_json(200, {"pending": server.faults.pending}, "application/json")
        elif action == "stats":
            self._send_json(200, server.stats(), "application/json")
        elif action == "health":
            counts = {entity: server.store.count(entity) for entity in ENTITIES}
            self._send_json(200, {"records": counts}, "application/json")
        elif action == "patches":
            rows = [vars(p) for p in server.store.patches()]
            self._send_json(200, {"patches": rows}, "application/json")
        else:
            raise ApiProblem(404, "Not Found", f"unknown control endpoint {action!r}")


def _json(raw: bytes) -> Any:
    """The request body; amoCRM reads a body it cannot parse as an empty one."""
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return None


class AmoCrmStandin:
    """A running amoCRM stand-in; stop it with ``stop()`` or a ``with`` block."""

    def __init__(self, server: AccountServer) -> None:
        self.server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.1},
            name="amocrm-standin",
            daemon=True,
        )
        self._thread.start()

    # -- what a test reads ----------------------------------------------------

    @property
    def url(self) -> str:
        """The account's base URL, ``http://127.0.0.1:PORT`` (requests go to
        ``{url}/api/v4/...``, as to ``https://<subdomain>.amocrm.ru``)."""
        return self.server.url

    @property
    def token(self) -> str:
        return self.server.token

    @property
    def store(self) -> AccountStore:
        return self.server.store

    def stats(self) -> dict[str, Any]:
        """Counters since start: requests, by route and by status, 429s, 403s,
        token failures, faults injected, entities PATCHed, whether blocked now."""
        return self.server.stats()

    def reset_stats(self) -> None:
        self.server.reset_stats()

    def patches(
        self, entity: str | None = None, entity_id: int | None = None
    ) -> list[AppliedPatch]:
        """The journal of applied PATCH changes (kept across restarts)."""
        return self.server.store.patches(entity, entity_id)

    # -- what a test arranges -------------------------------------------------

    def inject(self, *faults: str | Fault) -> None:
        """Queue the next faults: ``inject("http_504", "lost_answer", "slow:1")``."""
        self.server.faults.enqueue(faults)

    def clear_faults(self) -> None:
        self.server.faults.clear()

    def fail_record(
        self,
        entity: str,
        entity_id: int,
        code: str = "NotSupportedChoice",
        path: str = "custom_fields_values.0.field_id",
        detail: str = NOT_A_CHOICE,
        times: int | None = None,
    ) -> None:
        """Reject every PATCH that carries this record (``times`` times; None:
        until cleared) with this validation error; as on amoCRM, the whole request
        fails and nothing in it is written."""
        if entity not in ENTITIES:
            raise ValueError(f"unknown entity {entity!r}; expected one of {ENTITIES}")
        error = {"code": code, "path": path, "detail": detail}
        self.server.protocol.failures.add(
            entity, entity_id, RecordFailure(error, times)
        )

    def clear_record_failures(self) -> None:
        self.server.protocol.failures.clear()

    def set_rate_limit(self, rate_limit: RateLimit) -> None:
        """Change the limit while running (``RateLimit.unlimited()`` lifts it)."""
        self.server.limiter.configure(rate_limit)

    @property
    def blocked(self) -> bool:
        return self.server.limiter.blocked

    def unblock(self) -> None:
        """Lift a block now, as amoCRM's support does when asked."""
        self.server.limiter.unblock()

    # -- lifecycle ------------------------------------------------------------

    def stop(self) -> None:
        if self._thread.is_alive():
            self.server.shutdown()
        self.server.server_close()
        self.server.store.close()
        self._thread.join(timeout=5)

    def __enter__(self) -> AmoCrmStandin:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def store_path(data_dir: Path, subdomain: str = "demo") -> Path:
    return Path(data_dir) / f"{subdomain}.sqlite3"


def open_store(data_dir: Path, subdomain: str = "demo") -> AccountStore:
    return AccountStore(store_path(data_dir, subdomain))


def start_amocrm_standin(
    data_dir: Path,
    token: str,
    rate_limit: RateLimit | None = None,
    faults: FaultConfig | None = None,
    seed_from: SeedSource | None = None,
    seed_branch: str | None = None,
    reseed: bool = False,
    max_batch: int = MAX_BATCH,
    subdomain: str = "demo",
    host: str = "127.0.0.1",
    port: int = 0,
    log_requests: bool = False,
) -> AmoCrmStandin:
    """Start an amoCRM account on loopback (port 0: any free port) and return its
    handle, which is also a context manager.

    ``seed_from``: a landing folder (its ``crm/<seed_branch>.json``, the demo
    generator's Bitrix24 records mapped to amoCRM's), a JSON file, or a mapping
    ``{"contacts": [...], "companies": [...]}`` of Bitrix24- or amoCRM-shaped
    records; upserted by id. ``reseed`` wipes the store first. The store lives in
    ``<data_dir>/<subdomain>.sqlite3`` and keeps its records and its journal of
    PATCHes across restarts.
    """
    _check_loopback(host)
    store = open_store(data_dir, subdomain)
    try:
        if seed_from is not None:
            seed_account(store, seed_from, seed_branch, reseed)
        elif reseed:
            store.reset()
        server = AccountServer(
            store,
            token=token,
            rate_limit=rate_limit,
            faults=faults,
            max_batch=max_batch,
            subdomain=subdomain,
            host=host,
            port=int(port),
            log_requests=log_requests,
        )
    except BaseException:
        store.close()
        raise
    return AmoCrmStandin(server)


__all__ = [
    "AccountServer",
    "AmoCrmStandin",
    "UpsertCounts",
    "open_store",
    "start_amocrm_standin",
    "store_path",
]

"""`c360-demo standin serve|seed|wait`: the local Bitrix24 stand-in, its seeds."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from pathlib import Path
from urllib.parse import urlsplit

from customer360.settings import Settings, SettingsError, load_settings
from demo.standins.bitrix24.operating import OperatingLimit
from demo.standins.bitrix24.ratelimit import RateLimit
from demo.standins.bitrix24.server import (
    open_store,
    seed_file,
    seed_portal,
    start_standin,
)
from demo.standins.bitrix24.store import DEFAULT_TZ_OFFSET
from demo.standins.shared import add_fault_arguments, fault_config

TOKEN_ENV = "C360_CRM_WEBHOOK_TOKEN"


def register(subparsers: argparse._SubParsersAction) -> None:
    standin = subparsers.add_parser(
        "standin",
        help="the local Bitrix24 stand-in (one portal per branch), for the demo",
    )
    commands = standin.add_subparsers(dest="standin_command", metavar="COMMAND")
    standin.set_defaults(handler=lambda args: _print_help(standin))

    serve = commands.add_parser(
        "serve",
        help="serve the branch portals over Bitrix24's REST protocol until Ctrl-C",
    )
    _common_arguments(serve)
    serve.add_argument(
        "--token",
        default=os.environ.get(TOKEN_ENV),
        help=f"the webhook token the portals accept (default: ${TOKEN_ENV}, "
        "or each branch's token from the settings)",
    )
    serve.add_argument("--rate-limit-capacity", type=float, default=50)
    serve.add_argument(
        "--rate-limit-drain", type=float, default=2.0, help="requests a second"
    )
    serve.add_argument(
        "--no-rate-limit",
        action="store_true",
        help="lift the request rate limit (benchmarks)",
    )
    serve.add_argument(
        "--operating-limit",
        type=float,
        default=480.0,
        help="seconds of one method's execution within the window before it is "
        "blocked (429 OPERATION_TIME_LIMIT); inf: never",
    )
    serve.add_argument("--operating-window", type=float, default=600.0, help="seconds")
    serve.add_argument(
        "--operating-cost",
        type=float,
        default=0.0,
        help="simulated seconds charged per call on top of its real time",
    )
    add_fault_arguments(serve)
    serve.set_defaults(handler=serve_command)

    seed = commands.add_parser(
        "seed", help="upsert the seed files into the stand-in's store, no serving"
    )
    _common_arguments(seed)
    seed.set_defaults(handler=seed_command)

    wait = commands.add_parser(
        "wait", help="wait until every configured portal answers (for scripts)"
    )
    wait.add_argument("--timeout", type=float, default=30.0, help="seconds")
    wait.set_defaults(handler=wait_command)


def wait_command(args: argparse.Namespace) -> int:
    """Poll each portal's health endpoint: `make demo` starts once they listen."""
    import time
    import urllib.error
    import urllib.request

    settings = load_settings()
    deadline = time.monotonic() + args.timeout
    waiting = {
        p.branch: f"{p.base_url.rstrip('/')}/_standin/health"
        for p in settings.crm_portals
    }
    while waiting:
        for branch, url in list(waiting.items()):
            try:
                with urllib.request.urlopen(url, timeout=2):
                    del waiting[branch]
            except (urllib.error.URLError, OSError):
                pass
        if not waiting:
            break
        if time.monotonic() > deadline:
            print(
                f"c360-demo standin wait: no answer after {args.timeout:.0f} s from "
                + ", ".join(f"{b} ({u})" for b, u in waiting.items()),
                file=sys.stderr,
            )
            return 1
        time.sleep(0.2)
    print("CRM portals answering: " + ", ".join(p.branch for p in settings.crm_portals))
    return 0


def _print_help(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 2


def _common_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--branches",
        help="comma-separated branches (default: every portal in [crm] portals)",
    )
    parser.add_argument(
        "--seed-from",
        type=Path,
        help="landing folder holding crm/<branch>.json (default: [landing] dir)",
    )
    parser.add_argument(
        "--reseed", action="store_true", help="wipe the store before seeding"
    )
    parser.add_argument(
        "--data-dir", type=Path, help="SQLite folder (default: [crm] standin_dir)"
    )
    parser.add_argument(
        "--tz-offset",
        default=DEFAULT_TZ_OFFSET,
        help="the portals' time zone offset for DATE_MODIFY",
    )


def _branches(args: argparse.Namespace, settings: Settings) -> list[str]:
    if args.branches:
        return [b.strip() for b in args.branches.split(",") if b.strip()]
    if not settings.crm_portals:
        raise SettingsError(
            "no CRM portals configured: set [crm] portals in c360.toml or "
            "C360_CRM_PORTALS, or pass --branches"
        )
    return [portal.branch for portal in settings.crm_portals]


def _print_seeded(branch: str, landing: Path, counts: dict | None) -> None:
    if counts is None:
        print(f"crm/{branch}: no seed file at {seed_file(landing, branch)}")
        return
    summary = "; ".join(f"{table}: {c}" for table, c in counts.items())
    print(f"crm/{branch}: seeded from {seed_file(landing, branch)} ({summary})")


def seed_command(args: argparse.Namespace) -> int:
    settings = load_settings()
    landing = args.seed_from or settings.landing_dir
    data_dir = args.data_dir or settings.crm_standin_dir
    for branch in _branches(args, settings):
        store = open_store(data_dir, branch, args.tz_offset)
        try:
            _print_seeded(
                branch, landing, seed_portal(store, landing, branch, args.reseed)
            )
        finally:
            store.close()
    return 0


def serve_command(args: argparse.Namespace) -> int:
    settings = load_settings()
    landing = args.seed_from or settings.landing_dir
    data_dir = args.data_dir or settings.crm_standin_dir
    branches = _branches(args, settings)
    ports: dict[str, int] = {}
    hosts: set[str] = set()
    tokens: set[str] = set()
    for branch in branches:
        portal = settings.portal(branch)
        url = urlsplit(portal.base_url)
        if url.port is None:
            raise SettingsError(
                f"the {branch} portal URL {portal.base_url!r} has no port; the "
                "stand-in listens where [crm] portals points, e.g. "
                "http://127.0.0.1:18701"
            )
        ports[branch] = url.port
        hosts.add(url.hostname or "127.0.0.1")
        token = args.token or portal.token
        if not token:
            raise SettingsError(
                f"no webhook token for the stand-in: set {TOKEN_ENV} (or "
                f"{TOKEN_ENV}_{branch.upper()}), or pass --token"
            )
        tokens.add(token)
    if len(hosts) > 1 or len(tokens) > 1:
        raise SettingsError(
            "the stand-in serves all branches on one host with one token; set "
            f"{TOKEN_ENV} (or pass --token) and point every portal URL at one host"
        )
    user_id = settings.portal(branches[0]).user_id
    return _serve(
        args, branches, ports, hosts.pop(), tokens.pop(), user_id, landing, data_dir
    )


def _serve(
    args: argparse.Namespace,
    branches: list[str],
    ports: dict[str, int],
    host: str,
    token: str,
    user_id: int,
    landing: Path,
    data_dir: Path,
) -> int:
    try:
        faults = fault_config(args)
        rate_limit = (
            RateLimit.lifted()
            if args.no_rate_limit
            else RateLimit(args.rate_limit_capacity, args.rate_limit_drain)
        )
        operating_limit = OperatingLimit(
            limit_seconds=args.operating_limit,
            window_seconds=args.operating_window,
            cost_per_call=args.operating_cost,
        )
    except ValueError as error:
        raise SettingsError(str(error)) from error
    for branch in branches:
        if args.reseed or (landing and seed_file(landing, branch).is_file()):
            store = open_store(data_dir, branch, args.tz_offset)
            try:
                _print_seeded(
                    branch, landing, seed_portal(store, landing, branch, args.reseed)
                )
            finally:
                store.close()
    try:
        handle = start_standin(
            data_dir,
            ports,
            token=token,
            user_id=user_id,
            rate_limit=rate_limit,
            faults=faults,
            host=host,
            tz_offset=args.tz_offset,
            log_requests=args.verbose,
            operating_limit=operating_limit,
        )
    except OSError as error:
        raise SettingsError(
            f"cannot listen: {error} (is the stand-in already running?)"
        ) from error
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    with handle:
        for branch, url in handle.urls.items():
            server = handle.portal(branch)
            print(
                f"crm/{branch}: Bitrix24 stand-in at {url}/rest/{server.user_id}/***/ "
                f"(store {data_dir / (branch + '.sqlite3')})"
            )
        limits = (
            "rate limit lifted"
            if args.no_rate_limit
            else f"rate limit {rate_limit.capacity:g} requests, draining "
            f"{rate_limit.drain_per_second:g}/s"
        )
        limits += (
            f"; operating limit {operating_limit.limit_seconds:g} s of a method "
            f"within {operating_limit.window_seconds:g} s"
        )
        if operating_limit.cost_per_call:
            limits += f" (+{operating_limit.cost_per_call:g} s a call)"
        print(f"{limits}; Ctrl-C stops", flush=True)
        while not stop.wait(0.5):
            pass
    print("crm: stand-in stopped")
    return 0

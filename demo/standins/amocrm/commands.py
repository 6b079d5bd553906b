"""`c360-demo amocrm serve|seed|wait`: the local amoCRM stand-in and its seed."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

from customer360.settings import SettingsError, load_settings
from demo.standins.amocrm.protocol import MAX_BATCH
from demo.standins.amocrm.ratelimit import RateLimit
from demo.standins.amocrm.seed import seed_account
from demo.standins.amocrm.server import (
    open_store,
    start_amocrm_standin,
    store_path,
)
from demo.standins.shared import add_fault_arguments, fault_config

TOKEN_ENV = "C360_AMOCRM_TOKEN"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 18801  # beside the Bitrix24 stand-in's 187xx portals


def register(subparsers: argparse._SubParsersAction) -> None:
    amocrm = subparsers.add_parser(
        "amocrm", help="the local amoCRM stand-in (one account), for tests and demos"
    )
    commands = amocrm.add_subparsers(dest="amocrm_command", metavar="COMMAND")
    amocrm.set_defaults(handler=lambda args: _print_help(amocrm))

    serve = commands.add_parser(
        "serve", help="serve an amoCRM account over its API v4 until Ctrl-C"
    )
    _store_arguments(serve)
    serve.add_argument("--host", default=DEFAULT_HOST, help="a loopback address")
    serve.add_argument("--port", type=int, default=DEFAULT_PORT)
    serve.add_argument(
        "--token",
        default=os.environ.get(TOKEN_ENV),
        help=f"the long-lived token requests must carry (default: ${TOKEN_ENV})",
    )
    serve.add_argument(
        "--rate-limit", type=int, default=7, help="requests a second (amoCRM: 7)"
    )
    serve.add_argument(
        "--no-rate-limit", action="store_true", help="no limit, no block (benchmarks)"
    )
    serve.add_argument(
        "--block-after",
        type=int,
        default=10,
        help="429s within --block-window that block the account (0: never)",
    )
    serve.add_argument("--block-window", type=float, default=60.0, help="seconds")
    serve.add_argument(
        "--block-seconds", type=float, default=60.0, help="how long a block lasts"
    )
    serve.add_argument(
        "--html-429", action="store_true", help="answer 429 with the gateway's HTML"
    )
    serve.add_argument(
        "--max-batch",
        type=int,
        default=MAX_BATCH,
        help=f"entities a PATCH may carry (amoCRM: {MAX_BATCH})",
    )
    add_fault_arguments(serve)
    serve.set_defaults(handler=serve_command)

    seed = commands.add_parser(
        "seed", help="upsert a seed into the stand-in's store, without serving"
    )
    _store_arguments(seed)
    seed.set_defaults(handler=seed_command)

    wait = commands.add_parser(
        "wait", help="wait until the stand-in answers (for scripts)"
    )
    wait.add_argument(
        "--url", default=f"http://{DEFAULT_HOST}:{DEFAULT_PORT}", help="its base URL"
    )
    wait.add_argument("--timeout", type=float, default=30.0, help="seconds")
    wait.set_defaults(handler=wait_command)


def _print_help(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 2


def _store_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data-dir",
        type=Path,
        help="SQLite folder (default: [crm] standin_dir/amocrm)",
    )
    parser.add_argument("--subdomain", default="demo", help="the account's name")
    parser.add_argument(
        "--seed-from",
        type=Path,
        help="a landing folder (its crm/<branch>.json, Bitrix24 records mapped to "
        "amoCRM's) or a JSON file of contacts/companies; default: no seed",
    )
    parser.add_argument(
        "--branch", help="which landing portal to load (needed when there are several)"
    )
    parser.add_argument(
        "--reseed", action="store_true", help="wipe the store before seeding"
    )


def _data_dir(args: argparse.Namespace) -> Path:
    if args.data_dir:
        return args.data_dir
    return load_settings().crm_standin_dir / "amocrm"


def _seed(args: argparse.Namespace, data_dir: Path) -> None:
    if not args.seed_from and not args.reseed:
        return
    store = open_store(data_dir, args.subdomain)
    try:
        if args.seed_from:
            try:
                counts = seed_account(store, args.seed_from, args.branch, args.reseed)
            except (OSError, ValueError) as failure:
                raise SettingsError(
                    f"cannot seed from {args.seed_from}: {failure}"
                ) from failure
            summary = "; ".join(f"{entity}: {c}" for entity, c in counts.items())
            print(f"amocrm: seeded from {args.seed_from} ({summary})")
        else:
            store.reset()
            print("amocrm: store wiped")
    finally:
        store.close()


def seed_command(args: argparse.Namespace) -> int:
    if not args.seed_from and not args.reseed:
        raise SettingsError("nothing to do: pass --seed-from PATH and/or --reseed")
    _seed(args, _data_dir(args))
    return 0


def serve_command(args: argparse.Namespace) -> int:
    if not args.token:
        raise SettingsError(
            f"no token for the amoCRM stand-in: set {TOKEN_ENV}, or pass --token"
        )
    data_dir = _data_dir(args)
    try:
        faults = fault_config(args)
        rate_limit = (
            RateLimit.unlimited()
            if args.no_rate_limit
            else RateLimit(
                per_second=args.rate_limit,
                block_after=args.block_after,
                block_window=args.block_window,
                block_seconds=args.block_seconds,
                refusal_body="html" if args.html_429 else "json",
            )
        )
    except ValueError as failure:
        raise SettingsError(str(failure)) from failure
    _seed(args, data_dir)
    try:
        handle = start_amocrm_standin(
            data_dir,
            token=args.token,
            rate_limit=rate_limit,
            faults=faults,
            max_batch=args.max_batch,
            subdomain=args.subdomain,
            host=args.host,
            port=args.port,
            log_requests=args.verbose,
        )
    except (OSError, ValueError) as failure:
        raise SettingsError(
            f"cannot listen on {args.host}:{args.port}: {failure} "
            "(is the stand-in already running?)"
        ) from failure
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    with handle:
        limit = (
            "no rate limit"
            if rate_limit.per_second is None
            else f"{rate_limit.per_second} requests a second"
        )
        print(
            f"amocrm: stand-in at {handle.url}/api/v4/ "
            f"(store {store_path(data_dir, args.subdomain)}); {limit}; Ctrl-C stops",
            flush=True,
        )
        while not stop.wait(0.5):
            pass
    print("amocrm: stand-in stopped")
    return 0


def wait_command(args: argparse.Namespace) -> int:
    """Poll the health endpoint until the stand-in listens."""
    url = f"{args.url.rstrip('/')}/_standin/health"
    deadline = time.monotonic() + args.timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2):
                print(f"amocrm: answering at {args.url}")
                return 0
        except (urllib.error.URLError, OSError):
            pass
        if time.monotonic() > deadline:
            print(
                f"c360-demo amocrm wait: no answer after {args.timeout:.0f} s "
                f"from {args.url}",
                file=sys.stderr,
            )
            return 1
        time.sleep(0.2)

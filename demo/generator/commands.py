"""`c360-demo generate`: demo source data into the landing and ground-truth folders."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from demo.generator.corruption import PROFILES
from demo.generator.runner import MAX_CUSTOMERS, generate


def _customers(text: str) -> int:
    try:
        value = int(text.replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if not 1 <= value <= MAX_CUSTOMERS:
        raise argparse.ArgumentTypeError(
            f"must be between 1 and {MAX_CUSTOMERS:,}, got {value:,}"
        )
    return value


def _increments(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {value}")
    return value


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "generate",
        help="write demo source data (CRMs, 1C, telephony, help desk) and ground truth",
        description=(
            "Write one company's source data in the landing formats of "
            "docs/landing_formats.md, reproducibly for a seed, plus the ground truth "
            "for evaluating identity resolution. Existing generated output is replaced."
        ),
    )
    parser.add_argument(
        "--customers",
        type=_customers,
        default=10_000,
        help="true customers (default 10000)",
    )
    parser.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    parser.add_argument(
        "--increments",
        type=_increments,
        default=0,
        help="days of changes after the base data set (default 0)",
    )
    parser.add_argument(
        "--profile",
        choices=PROFILES,
        default="default",
        help="how hard the records are corrupted: default, or harsh (FEBRL-like "
        "typos, swaps, missing values, more duplicates; docs/demo_data.md)",
    )
    parser.add_argument(
        "--landing-dir",
        type=Path,
        default=None,
        help="default: [landing] dir from c360.toml",
    )
    parser.add_argument(
        "--ground-truth-dir",
        type=Path,
        default=None,
        help="default: [landing] ground_truth_dir from c360.toml",
    )
    parser.set_defaults(handler=handle_generate)


def handle_generate(args: argparse.Namespace) -> int:
    landing_dir, ground_truth_dir = args.landing_dir, args.ground_truth_dir
    if landing_dir is None or ground_truth_dir is None:
        # settings are read only when needed, so explicit folders work without c360.toml
        from customer360.settings import load_settings

        settings = load_settings()
        landing_dir = landing_dir or settings.landing_dir
        ground_truth_dir = ground_truth_dir or settings.ground_truth_dir
    if landing_dir.resolve() == ground_truth_dir.resolve():
        print(
            "c360-demo generate: the landing and ground-truth folders must differ",
            file=sys.stderr,
        )
        return 2
    profile = "" if args.profile == "default" else f", profile {args.profile}"
    print(
        f"generating {args.customers:,} customers into {landing_dir} "
        f"(truth: {ground_truth_dir}{profile})"
    )
    report = generate(
        landing_dir,
        ground_truth_dir,
        customers=args.customers,
        seed=args.seed,
        increments=args.increments,
        profile=args.profile,
        progress=lambda message: print(f"  {message}", flush=True),
    )
    print(report.format())
    return 0

"""`c360 identity`: review uncertain matches, measure clusters, retrain the model."""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from customer360.identity.features import ENTITY_TYPES
from customer360.settings import Settings, load_settings

DECISIONS_TABLE = "review.identity_decisions"
REVIEW_QUEUE = "intermediate.int_identity_review_queue"
PAIRS_MODELS = {
    "persons": "intermediate.int_person_match_pairs",
    "organisations": "intermediate.int_organisation_match_pairs",
}
CLUSTER_MODELS = {
    "persons": "intermediate.int_person_clusters",
    "organisations": "intermediate.int_organisation_clusters",
}
RECORD_MODELS = {
    "persons": "intermediate.int_person_records_unioned",
    "organisations": "intermediate.int_organisation_records_unioned",
}
DECISIONS = ("same", "not_same")
BUILD_HINT = "run `c360 run` (or `dbt build`) first"


class IdentityCommandError(Exception):
    """A user-facing failure: the message says what is wrong and what to do."""


def _connect(settings: Settings) -> Any:
    # read-write even to read: DuckDB refuses a read-only connection to a file this
    # process already holds open otherwise (dbt run in-process, as the tests and
    # Dagster do), and it admits one writing process either way
    import duckdb

    path = settings.warehouse_path
    if not Path(path).exists():
        raise IdentityCommandError(f"no warehouse at {path}: {BUILD_HINT}")
    try:
        return duckdb.connect(str(path))
    except duckdb.IOException as error:
        raise IdentityCommandError(
            f"cannot open the warehouse {path} (is a dbt build running?): {error}"
        ) from error


def _first_row(con: Any, sql: str, params: list[Any]) -> tuple[Any, ...] | None:
    # DuckDB 2.0 keeps a half-read result open and refuses further work on the
    # connection until it is drained, so read everything rather than fetchone()
    rows = con.execute(sql, params).fetchall()
    return rows[0] if rows else None


def _table_exists(con: Any, qualified: str) -> bool:
    schema, table = qualified.split(".")
    row = _first_row(
        con,
        "select count(*) from information_schema.tables"
        " where table_schema = ? and table_name = ?",
        [schema, table],
    )
    return bool(row and row[0])


def _require(con: Any, qualified: str, what: str) -> None:
    if not _table_exists(con, qualified):
        raise IdentityCommandError(f"{what} ({qualified}) not built yet: {BUILD_HINT}")


# --- c360 identity review -----------------------------------------------------------


def _format_pair(row: dict[str, Any]) -> str:
    def show(value: Any) -> str:
        if value is None:
            return "-"
        if isinstance(value, list):
            return ", ".join(str(v) for v in value) or "-"
        return str(value)

    lines = [
        f"{row['entity_type']}  p={row['match_probability']:.3f}  "
        f"weight={row['match_weight']:.2f}",
        f"  {row['record_key_l']}  |  {row['record_key_r']}",
    ]
    for label, field in (
        ("name", "name"),
        ("phones", "phones"),
        ("e-mail", "email"),
        ("IIN/BIN", "iin_bin"),
        ("city", "city"),
        ("birth date", "birth_date"),
    ):
        left, right = show(row[f"{field}_l"]), show(row[f"{field}_r"])
        if left == "-" and right == "-":
            continue
        lines.append(f"  {label:<10} {left:<40} | {right}")
    weights = [
        f"{name[3:]} {row[name]:+.1f}"
        for name in row
        if name.startswith("mw_") and row[name] is not None
    ]
    lines.append("  weights    " + "  ".join(weights))
    lines.append(
        "  decide:    c360 identity review --decide "
        f"{row['record_key_l']} {row['record_key_r']} same|not_same"
    )
    return "\n".join(lines)


def list_review_queue(
    settings: Settings, entity_type: str | None, limit: int
) -> list[dict[str, Any]]:
    """The undecided uncertain pairs, most likely matches first."""
    con = _connect(settings)
    try:
        _require(con, REVIEW_QUEUE, "the review queue")
        where = "where entity_type = ?" if entity_type else ""
        params = [entity_type] if entity_type else []
        cursor = con.execute(
            f"select * from {REVIEW_QUEUE} {where}"
            " order by match_probability desc, record_key_l, record_key_r"
            f" limit {int(limit)}",
            params,
        )
        columns = [d[0] for d in cursor.description]
        return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
    finally:
        con.close()


def record_decision(
    settings: Settings,
    record_key_l: str,
    record_key_r: str,
    decision: str,
    note: str | None = None,
    reviewer: str | None = None,
    entity_type: str | None = None,
) -> dict[str, Any]:
    """Store a reviewer's decision on a scored pair; the next dbt build applies it."""
    if decision not in DECISIONS:
        raise IdentityCommandError(
            f"decision must be one of {', '.join(DECISIONS)}, not {decision!r}"
        )
    if record_key_l == record_key_r:
        raise IdentityCommandError("a pair needs two different record keys")
    left, right = sorted((record_key_l, record_key_r))
    reviewer = reviewer or os.environ.get("USER") or getpass.getuser()
    con = _connect(settings)
    try:
        _require(con, DECISIONS_TABLE, "the decisions table")
        found = None
        for entity in [entity_type] if entity_type else ENTITY_TYPES:
            _require(con, PAIRS_MODELS[entity], f"the {entity} match pairs")
            row = _first_row(
                con,
                f"select decision, match_probability from {PAIRS_MODELS[entity]}"
                " where record_key_l = ? and record_key_r = ?",
                [left, right],
            )
            if row:
                found = (entity, row[0], row[1])
                break
        if found is None:
            known = [
                key
                for key in (left, right)
                if any(
                    _first_row(
                        con,
                        f"select 1 from {RECORD_MODELS[e]} where record_key = ?",
                        [key],
                    )
                    for e in ENTITY_TYPES
                )
            ]
            missing = [key for key in (left, right) if key not in known]
            detail = (
                f"unknown record key(s): {', '.join(missing)}"
                if missing
                else "both records exist, but the engine never scored them as a pair"
            )
            raise IdentityCommandError(
                f"no scored pair {left} / {right}: {detail}. "
                "Pick a pair from `c360 identity review`."
            )
        entity, engine_decision, probability = found
        previous = _first_row(
            con,
            f"select decision from {DECISIONS_TABLE} where entity_type = ?"
            " and record_key_l = ? and record_key_r = ?"
            " order by decided_at desc limit 1",
            [entity, left, right],
        )
        decided_at = datetime.now(UTC).replace(tzinfo=None)
        con.execute(
            f"insert into {DECISIONS_TABLE} (entity_type, record_key_l, record_key_r,"
            " decision, reviewer, decided_at, note) values (?, ?, ?, ?, ?, ?, ?)",
            [entity, left, right, decision, reviewer, decided_at, note],
        )
    finally:
        con.close()
    return {
        "entity_type": entity,
        "record_key_l": left,
        "record_key_r": right,
        "decision": decision,
        "engine_decision": engine_decision,
        "match_probability": probability,
        "previous_decision": previous[0] if previous else None,
        "reviewer": reviewer,
    }


def _review(args: argparse.Namespace) -> int:
    settings = load_settings()
    if args.decide:
        left, right, decision = args.decide
        result = record_decision(
            settings, left, right, decision, args.note, entity_type=args.entity
        )
        replaced = (
            f" (replaces the earlier '{result['previous_decision']}')"
            if result["previous_decision"]
            else ""
        )
        print(
            f"recorded {result['entity_type']} {left} / {right}: {decision} by "
            f"{result['reviewer']}{replaced}; the engine said "
            f"{result['engine_decision']}. The next dbt build applies it."
        )
        return 0
    rows = list_review_queue(settings, args.entity, args.limit)
    if not rows:
        print("the review queue is empty")
        return 0
    print("\n\n".join(_format_pair(row) for row in rows))
    return 0


# --- c360 identity evaluate ---------------------------------------------------------


def evaluate_warehouse(settings: Settings) -> dict[str, Any]:
    """ClusterReport per entity type for the clusters in the warehouse."""
    from customer360.identity.evaluate import GROUND_TRUTH_FILE, evaluate, load_truth

    truth_file = Path(settings.ground_truth_dir) / GROUND_TRUTH_FILE
    if not truth_file.is_file():
        raise IdentityCommandError(
            f"no ground truth at {truth_file}: evaluation needs generated data "
            "(`c360 generate` writes it); set C360_GROUND_TRUTH_DIR to its folder"
        )
    truth = load_truth(settings.ground_truth_dir)
    con = _connect(settings)
    try:
        reports = {}
        for entity in ENTITY_TYPES:
            _require(con, CLUSTER_MODELS[entity], f"the {entity} clusters")
            clusters = (
                con.sql(f"select record_key, cluster_id from {CLUSTER_MODELS[entity]}")
                .arrow()
                .read_all()
            )
            reports[entity] = evaluate(clusters, truth)
        return reports
    finally:
        con.close()


def _evaluate(args: argparse.Namespace) -> int:
    reports = evaluate_warehouse(load_settings())
    if args.json:
        print(json.dumps({e: r.as_dict() for e, r in reports.items()}, indent=2))
        return 0
    for entity, report in reports.items():
        print(f"{entity:<14} {report.format()}")
        if report.unmatched_records:
            print(f"{'':<14} ({report.unmatched_records:,} records not in the truth)")
    return 0


# --- c360 identity train ------------------------------------------------------------


def _train(args: argparse.Namespace) -> int:
    from customer360.identity.train import describe_changes, model_path, train

    settings = load_settings()
    entities = [args.entity] if args.entity else list(ENTITY_TYPES)
    con = _connect(settings)
    try:
        tables = {}
        for entity in entities:
            _require(con, RECORD_MODELS[entity], f"the {entity} records")
            tables[entity] = con.sql(f"select * from {RECORD_MODELS[entity]}").arrow()
            tables[entity] = tables[entity].read_all()
    finally:
        con.close()
    for entity in entities:
        output = (
            Path(args.output_dir) / f"{entity}.json"
            if args.output_dir
            else model_path(entity)
        )
        previous = json.loads(output.read_text()) if output.exists() else None
        print(f"{entity}: training on {tables[entity].num_rows:,} records ...")
        model = train(tables[entity], entity, output_path=output, seed=args.seed)
        changes = describe_changes(previous, model)
        print(f"{entity}: wrote {output}")
        if previous is None:
            print("  (no earlier model to compare with)")
        elif not changes:
            print("  nothing changed")
        for line in changes:
            print(f"  {line}")
    return 0


# --- registration -------------------------------------------------------------------


def _guarded(handler: Any) -> Any:
    def run(args: argparse.Namespace) -> int:
        try:
            return handler(args)
        except IdentityCommandError as error:
            print(f"c360 identity: {error}", file=sys.stderr)
            return 2

    return run


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "identity",
        help="review uncertain matches, evaluate the clusters, retrain the model",
        description="Identity resolution: which records are the same customer.",
    )
    commands = parser.add_subparsers(dest="identity_command", metavar="COMMAND")
    parser.set_defaults(handler=lambda args: parser.print_help() or 2)

    review = commands.add_parser(
        "review",
        help="list the uncertain pairs, or record a decision on one",
        description=(
            "Without --decide: list the undecided uncertain pairs, both records side "
            "by side. With --decide: store 'same' (always join) or 'not_same' (never "
            "join) for a pair; the next dbt build applies it. The reviewer is $USER."
        ),
    )
    review.add_argument("--entity", choices=ENTITY_TYPES, help="only this entity type")
    review.add_argument(
        "--limit", type=int, default=20, help="pairs to list (default 20)"
    )
    review.add_argument(
        "--decide",
        nargs=3,
        metavar=("RECORD_KEY_L", "RECORD_KEY_R", "same|not_same"),
        help="record a decision on a scored pair",
    )
    review.add_argument("--note", help="why (stored with the decision)")
    review.set_defaults(handler=_guarded(_review))

    evaluate = commands.add_parser(
        "evaluate",
        help="pairwise precision, recall and F1 of the clusters against ground truth",
        description=(
            "Compare the clusters in the warehouse with the generator's ground truth "
            "(ground_truth_dir in c360.toml / C360_GROUND_TRUTH_DIR)."
        ),
    )
    evaluate.add_argument("--json", action="store_true", help="print JSON")
    evaluate.set_defaults(handler=_guarded(_evaluate))

    train = commands.add_parser(
        "train",
        help="re-estimate the Splink models from the warehouse's records",
        description=(
            "Train on intermediate.int_*_records_unioned and write the model JSON "
            "(by default the committed customer360/identity/trained/<entity>.json), "
            "then print what changed."
        ),
    )
    train.add_argument("--entity", choices=ENTITY_TYPES, help="only this entity type")
    train.add_argument("--seed", type=int, default=1, help="u-sampling seed")
    train.add_argument(
        "--output-dir", help="write the JSON files here instead of the committed ones"
    )
    train.set_defaults(handler=_guarded(_train))

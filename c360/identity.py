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

from customer360.dbt_context import (
    PRODUCTION_BUILD_ARGS,
    dbt_vars,
    environment_for_dbt,
)
from customer360.identity.features import ENTITY_TYPES
from customer360.settings import Settings, load_settings
from customer360.warehouse_lock import warehouse_in_use
from customer360.warehouse_readers import table_exists

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
MODEL_TABLES = {
    "persons": "intermediate.int_person_match_models",
    "organisations": "intermediate.int_organisation_match_models",
}
MODEL_TABLES_DBT = ["int_organisation_match_models", "int_person_match_models"]
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
        if (in_use := warehouse_in_use(str(error))) is not None:
            raise in_use from error  # c360 says who holds it and exits 75
        raise IdentityCommandError(
            f"cannot open the warehouse {path}: {error}"
        ) from error


def _first_row(con: Any, sql: str, params: list[Any]) -> tuple[Any, ...] | None:
    # DuckDB 2.0 keeps a half-read result open and refuses further work on the
    # connection until it is drained, so read everything rather than fetchone()
    rows = con.execute(sql, params).fetchall()
    return rows[0] if rows else None


def _require(con: Any, qualified: str, what: str) -> None:
    if not table_exists(con, qualified):
        raise IdentityCommandError(f"{what} ({qualified}) not built yet: {BUILD_HINT}")


# --- c360 identity review -----------------------------------------------------------


def _format_pair(row: dict[str, Any]) -> str:
    def show(value: Any) -> str:
        if value is None:
            return "-"
        if isinstance(value, list):
            return ", ".join(str(v) for v in value) or "-"
        return str(value)

    if row["match_probability"] is None:
        score = f"must-link ({row.get('rule')})"
    else:
        score = f"p={row['match_probability']:.3f}  weight={row['match_weight']:.2f}"
    lines = [
        f"{row['entity_type']}  {score}",
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


_AUDIT_RECORD_COLUMNS = {
    "persons": "full_name as name, phones_e164 as phones, email, iin as iin_bin,"
    " city, birth_date",
    "organisations": "organisation_name as name, phones_e164 as phones, email,"
    " bin as iin_bin, city, cast(null as date) as birth_date",
}


def list_audit_sample(
    settings: Settings, entity_type: str | None, size: int, seed: int = 1
) -> list[dict[str, Any]]:
    """A random sample of the pairs the engine merged that nobody decided yet: the
    labels a reviewer gives them estimate the engine's precision without bias (the
    review queue holds only the uncertain band)."""
    con = _connect(settings)
    try:
        _require(con, DECISIONS_TABLE, "the decisions table")
        rows: list[dict[str, Any]] = []
        for entity in [entity_type] if entity_type else list(ENTITY_TYPES):
            _require(con, PAIRS_MODELS[entity], f"the {entity} match pairs")
            columns = _AUDIT_RECORD_COLUMNS[entity]
            weights = [
                name
                for (name,) in con.execute(
                    "select column_name from information_schema.columns"
                    " where table_schema = 'intermediate' and table_name = ?"
                    " and starts_with(column_name, 'mw_')",
                    [PAIRS_MODELS[entity].split(".")[1]],
                ).fetchall()
            ]
            picked = ", ".join(f"p.{w}" for w in weights) or "null as mw_none"
            cursor = con.execute(
                f"""
                with records as (
                    select record_key, {columns} from {RECORD_MODELS[entity]}
                ),
                undecided as (
                    select p.* from {PAIRS_MODELS[entity]} as p
                    where p.decision = 'match' and not exists (
                        select 1 from {DECISIONS_TABLE} as d
                        where d.entity_type = ? and d.record_key_l = p.record_key_l
                          and d.record_key_r = p.record_key_r)
                ),
                sample as (
                    select * from undecided
                    order by hash(record_key_l || record_key_r || ?)
                    limit {int(size)}
                )
                select ? as entity_type, p.record_key_l, p.record_key_r,
                    p.match_probability, p.match_weight, p.rule,
                    l.name as name_l, r.name as name_r,
                    l.phones as phones_l, r.phones as phones_r,
                    l.email as email_l, r.email as email_r,
                    l.iin_bin as iin_bin_l, r.iin_bin as iin_bin_r,
                    l.city as city_l, r.city as city_r,
                    l.birth_date as birth_date_l, r.birth_date as birth_date_r,
                    {picked}
                from sample as p
                join records as l on l.record_key = p.record_key_l
                join records as r on r.record_key = p.record_key_r
                """,
                [entity, str(seed), entity],
            )
            names = [d[0] for d in cursor.description]
            rows += [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
        return rows
    finally:
        con.close()


def _review(args: argparse.Namespace) -> int:
    settings = load_settings()
    if args.audit:
        rows = list_audit_sample(settings, args.entity, args.audit, args.seed)
        if not rows:
            print("no merged pair is left undecided")
            return 0
        print("\n\n".join(_format_pair(row) for row in rows))
        return 0
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
            f"no ground truth at {truth_file}: evaluation against the truth needs"
            " generated data (`c360-demo generate` writes it; C360_GROUND_TRUTH_DIR"
            " names its folder). On your own data, `c360 identity evaluate --labels`"
            " estimates accuracy from the reviewers' decisions."
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


def evaluate_with_labels(settings: Settings) -> dict[str, Any]:
    """LabelReport per entity type: the engine's own decisions (before any
    reviewer's) against the reviewers' decisions."""
    from customer360.identity.evaluate import evaluate_against_labels
    from customer360.identity.model_store import choose_model
    from customer360.identity.train import match_threshold_of

    con = _connect(settings)
    try:
        _require(con, DECISIONS_TABLE, "the decisions table")
        reports = {}
        for entity in ENTITY_TYPES:
            _require(con, PAIRS_MODELS[entity], f"the {entity} match pairs")
            models = (
                con.sql(f"select * from {MODEL_TABLES[entity]}").arrow().read_all()
                if table_exists(con, MODEL_TABLES[entity])
                else None
            )
            threshold = match_threshold_of(choose_model(models, entity).model)
            pairs = con.sql(f"select * from {PAIRS_MODELS[entity]}").arrow().read_all()
            records = (
                con.sql(f"select record_key from {CLUSTER_MODELS[entity]}")
                .arrow()
                .read_all()
            )
            # DuckDB 2.0: only a relation converts to Arrow; the name is one of
            # ENTITY_TYPES, not user input
            decisions = (
                con.sql(
                    "select record_key_l, record_key_r, decision, decided_at"
                    f" from {DECISIONS_TABLE} where entity_type = '{entity}'"
                )
                .arrow()
                .read_all()
            )
            reports[entity] = evaluate_against_labels(
                records, pairs, decisions, threshold
            )
        return reports
    finally:
        con.close()


def threshold_curves(settings: Settings) -> dict[str, list[tuple[float, Any]]]:
    """Per entity type: the clusters redrawn from the kept pairs at each candidate
    threshold (no reviewer decisions), scored against the ground truth, to compare
    the threshold the model chose without truth with the others."""
    from customer360.identity.calibration import CANDIDATE_THRESHOLDS
    from customer360.identity.evaluate import evaluate, load_truth
    from customer360.identity.resolve import clusters_at_threshold

    truth = load_truth(settings.ground_truth_dir)
    con = _connect(settings)
    try:
        curves = {}
        for entity in ENTITY_TYPES:
            records = (
                con.sql(f"select record_key from {CLUSTER_MODELS[entity]}")
                .arrow()
                .read_all()
            )
            pairs = con.sql(f"select * from {PAIRS_MODELS[entity]}").arrow().read_all()
            curves[entity] = [
                (t, evaluate(clusters_at_threshold(records, pairs, t), truth))
                for t in CANDIDATE_THRESHOLDS
            ]
        return curves
    finally:
        con.close()


def _evaluate(args: argparse.Namespace) -> int:
    settings = load_settings()
    if args.labels:
        label_reports = evaluate_with_labels(settings)
        if args.json:
            print(
                json.dumps({e: r.as_dict() for e, r in label_reports.items()}, indent=2)
            )
            return 0
        for entity, report in label_reports.items():
            print(f"{entity:<14} {report.format()}")
        print(
            "Estimated from the reviewers' decisions: pairs from the review queue"
            " describe the uncertain band; `c360 identity review --audit N` lists a"
            " random sample of merged pairs whose decisions estimate precision for"
            " the whole warehouse."
        )
        return 0
    reports = evaluate_warehouse(settings)
    if args.json:
        print(json.dumps({e: r.as_dict() for e, r in reports.items()}, indent=2))
        return 0
    for entity, report in reports.items():
        print(f"{entity:<14} {report.format()}")
        if report.unmatched_records:
            print(f"{'':<14} ({report.unmatched_records:,} records not in the truth)")
    if args.curve:
        chosen = {
            entity: next(
                (
                    r["match_threshold"]
                    for r in reversed(rows)
                    if r["status"] == "accepted"
                ),
                None,
            )
            for entity, rows in model_rows(settings).items()
        }
        for entity, curve in threshold_curves(settings).items():
            print(f"{entity}: at each threshold (the model chose {chosen[entity]})")
            for threshold, report in curve:
                print(
                    f"  {threshold:<5} precision {report.precision:.4f}"
                    f"  recall {report.recall:.4f}  F1 {report.f1:.4f}"
                )
    return 0


# --- c360 identity train / models ---------------------------------------------------


def train_in_warehouse(settings: Settings) -> int:
    """Retrain both entity types' models in the warehouse through dbt."""
    from dbt.cli.main import dbtRunner

    con = _connect(settings)
    try:
        for entity in ENTITY_TYPES:
            _require(con, RECORD_MODELS[entity], f"the {entity} records")
        _require(con, CLUSTER_MODELS["organisations"], "the organisation clusters")
    finally:
        con.close()
    with environment_for_dbt(settings):
        result = dbtRunner().invoke(
            [
                "build",
                *PRODUCTION_BUILD_ARGS,
                "--select",
                *MODEL_TABLES_DBT,
                "--vars",
                dbt_vars(settings, identity_retrain=True),
                "--project-dir", str(settings.project_dir),
                "--profiles-dir", str(settings.project_dir),
                "--target-path", str(settings.project_dir / "target" / "identity"),
                "--quiet",
            ]
        )  # fmt: skip
    if not result.success:
        raise IdentityCommandError(
            f"training did not finish: {result.exception or 'see the dbt log above'}"
        )
    return 0


def model_rows(settings: Settings) -> dict[str, list[dict[str, Any]]]:
    """The models trained on this warehouse, per entity type, oldest first."""
    con = _connect(settings)
    try:
        found = {}
        for entity in ENTITY_TYPES:
            if not table_exists(con, MODEL_TABLES[entity]):
                found[entity] = []
                continue
            cursor = con.execute(
                "select version, trained_at, trigger, status, records,"
                " match_threshold, expected_precision, expected_recall,"
                f" failed_checks, changes from {MODEL_TABLES[entity]} order by version"
            )
            columns = [d[0] for d in cursor.description]
            found[entity] = [
                dict(zip(columns, row, strict=True)) for row in cursor.fetchall()
            ]
        return found
    finally:
        con.close()


def _format_model(row: dict[str, Any]) -> str:
    line = (
        f"version {row['version']}  {row['status']:<8}  trained"
        f" {row['trained_at']:%Y-%m-%d %H:%M} on {row['records']:,} records"
        f" ({row['trigger']})"
    )
    if row["match_threshold"] is not None:
        line += (
            f"\n    threshold {row['match_threshold']}, expected precision"
            f" {row['expected_precision']:.4f}, recall {row['expected_recall']:.4f}"
        )
    if row["failed_checks"]:
        line += f"\n    failed: {row['failed_checks']}"
    return line


def status_lines(settings: Settings) -> list[str]:
    """What `c360 run` says about the matching models after a build."""
    from customer360.identity.model_store import ACCEPTED

    lines = []
    for entity, rows in model_rows(settings).items():
        if not rows:
            continue
        accepted = [row for row in rows if row["status"] == ACCEPTED]
        newest = rows[-1]
        if accepted:
            used = accepted[-1]
            text = (
                f"  {entity}: model version {used['version']}, trained"
                f" {used['trained_at']:%Y-%m-%d} on {used['records']:,} records,"
                f" threshold {used['match_threshold']} (expected precision"
                f" {used['expected_precision']:.4f})"
            )
        else:
            text = f"  {entity}: the committed model (no model trained here passed)"
        if newest["status"] != ACCEPTED:
            text += (
                f"\n    WARNING: version {newest['version']} failed its checks:"
                f" {newest['failed_checks']}"
            )
        lines.append(text)
    return ["Identity models", *lines] if lines else []


def _models(args: argparse.Namespace) -> int:
    rows = model_rows(load_settings())
    for entity, models in rows.items():
        print(f"{entity}:")
        if not models:
            print("  none trained on this warehouse yet: run `c360 run`")
        for row in models:
            print("  " + _format_model(row))
    return 0


def _train(args: argparse.Namespace) -> int:
    settings = load_settings()
    if args.output_dir:
        return _train_to_files(settings, args)
    before = {e: len(r) for e, r in model_rows(settings).items()}
    print("training the organisation and person models on the warehouse's records ...")
    train_in_warehouse(settings)
    for entity, rows in model_rows(settings).items():
        for row in rows[before.get(entity, 0) :]:
            print(f"{entity}: " + _format_model(row))
            for line in (row["changes"] or "").splitlines():
                print(f"    {line}")
    print("The next `c360 run` (or `dbt build`) matches with the accepted models.")
    return 0


def _train_to_files(settings: Settings, args: argparse.Namespace) -> int:
    """Train in-process and write the model JSON files (how the committed starting
    models are refreshed)."""
    from customer360.identity.train import describe_changes, train

    con = _connect(settings)
    try:
        tables = {}
        for entity in ENTITY_TYPES:
            _require(con, RECORD_MODELS[entity], f"the {entity} records")
            tables[entity] = con.sql(f"select * from {RECORD_MODELS[entity]}")
            tables[entity] = tables[entity].arrow().read_all()
        _require(con, CLUSTER_MODELS["organisations"], "the organisation clusters")
        organisations = (
            con.sql(
                f"select record_key, cluster_id from {CLUSTER_MODELS['organisations']}"
            )
            .arrow()
            .read_all()
        )
    finally:
        con.close()
    failed = 0
    for entity in ENTITY_TYPES:
        output = Path(args.output_dir) / f"{entity}.json"
        previous = json.loads(output.read_text()) if output.exists() else None
        print(f"{entity}: training on {tables[entity].num_rows:,} records ...")
        trained = train(
            tables[entity],
            entity,
            starting_model={},
            seed=args.seed,
            organisation_clusters=organisations if entity == "persons" else None,
        )
        print(trained.summary())
        if not trained.accepted:
            failed += 1
            print(f"{entity}: not written: the model failed its checks")
            continue
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(json.dumps(trained.settings, indent=2, ensure_ascii=False))
        print(f"{entity}: wrote {output}")
        for line in describe_changes(previous, trained.settings):
            print(f"  {line}")
    return 1 if failed else 0


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
    review.add_argument(
        "--audit",
        type=int,
        metavar="N",
        help="list a random sample of N merged pairs to confirm or reject: their"
        " decisions estimate precision (`c360 identity evaluate --labels`)",
    )
    review.add_argument(
        "--seed", type=int, default=1, help="the audit sample's seed (default 1)"
    )
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
    evaluate.add_argument(
        "--curve",
        action="store_true",
        help="also score the clusters redrawn at each candidate threshold",
    )
    evaluate.add_argument(
        "--labels",
        action="store_true",
        help="estimate precision and recall from the reviewers' decisions instead"
        " (for a company's own data, which has no ground truth)",
    )
    evaluate.set_defaults(handler=_guarded(_evaluate))

    train = commands.add_parser(
        "train",
        help="retrain the matching models on the warehouse's records now",
        description=(
            "Train new organisation and person models on the records in the "
            "warehouse and keep them (with their checks) in "
            "intermediate.int_*_match_models; the next build matches with them if "
            "they pass. A build also retrains by itself when a fifth of the records "
            "changed. With --output-dir, write the model JSON files there instead "
            "(how the committed starting models in customer360/identity/trained are "
            "refreshed)."
        ),
    )
    train.add_argument("--seed", type=int, default=1, help="u-sampling seed")
    train.add_argument(
        "--output-dir", help="train in-process and write the JSON files here"
    )
    train.set_defaults(handler=_guarded(_train))

    models = commands.add_parser(
        "models",
        help="the matching models trained on this warehouse, with their checks",
        description="Every training kept in intermediate.int_*_match_models.",
    )
    models.set_defaults(handler=_guarded(_models))

"""The matching models of a warehouse: when to retrain, and which model to use.

Each entity type keeps its trained models in the warehouse
(`intermediate.int_<entity>_match_models`, one row per training: the model JSON,
the records it was trained on, its checks, the threshold it chose, what changed
against the previous accepted model). A build trains when

- no model was trained on this warehouse yet,
- training was requested (`c360 identity train`, dbt var `identity_retrain`), or
- the records have changed enough since the last training: the share of the union
  of records then and now that is in only one of the two (new, changed or gone
  records) reaches RETRAIN_CHANGED_SHARE.

That share is estimated from a bottom-k sketch (RECORD_SKETCH_SIZE hashes of record
contents; standard error about 1.5 points at 20%) kept with each training, so that
no copy of the records is kept.

Resolution uses the newest accepted model. When the newest training was rejected
by its checks, it uses the previous accepted one and says so; with none, the
committed starting model (trained on generated data) with its own thresholds.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pyarrow as pa

from customer360.dbt_stdout import quiet_connection, say
from customer360.identity.features import EVENT_SOURCE_SYSTEMS, EntityType
from customer360.identity.train import TrainedModel, load_model, model_path, train

# Retrain when a fifth of the records are new, changed or gone since the last
# training: daily increments (about 0.3% of records) reuse the model for weeks, a new
# branch's portal or a year of growth retrains.
RETRAIN_CHANGED_SHARE = 0.2
RECORD_SKETCH_SIZE = 1024
# the record columns that do not say who a record is about: a write-back from the
# CRM sync moves `updated_at` on every record without changing what is matched
_IGNORED_COLUMNS = ("updated_at",)

MODEL_COLUMNS: dict[str, pa.DataType] = {
    "model_id": pa.string(),
    "entity_type": pa.string(),
    "version": pa.int64(),
    "trained_at": pa.timestamp("us"),
    "trigger": pa.string(),
    "status": pa.string(),
    "records": pa.int64(),
    "prior": pa.float64(),
    "expected_matching_pairs": pa.float64(),
    "match_threshold": pa.float64(),
    "expected_precision": pa.float64(),
    "expected_recall": pa.float64(),
    "failed_checks": pa.string(),
    "checks": pa.string(),
    "em_passes": pa.string(),
    "changes": pa.string(),
    "seconds": pa.float64(),
    "record_sketch": pa.list_(pa.uint64()),
    "model_json": pa.string(),
}
ACCEPTED = "accepted"
REJECTED = "rejected"


def empty_models() -> pa.Table:
    return pa.schema(MODEL_COLUMNS).empty_table()


def record_sketch(records: pa.Table) -> list[int]:
    """The RECORD_SKETCH_SIZE smallest hashes of the matched records' contents."""
    con = quiet_connection()
    con.register("records", records)
    columns = [name for name in records.column_names if name not in _IGNORED_COLUMNS]
    where = ""
    if "source_system" in columns:
        where = f"where source_system not in {EVENT_SOURCE_SYSTEMS}"
    content = ", ".join(f'"{name}"' for name in columns)
    rows = con.execute(
        f"select distinct hash(row({content})) as h from records {where}"
        f" order by h limit {RECORD_SKETCH_SIZE}"
    ).fetchall()
    return [row[0] for row in rows]


def changed_share(previous: list[int], current: list[int]) -> float:
    """Estimated share of the union of two record sets that is in only one of them
    (1 - Jaccard similarity), from their bottom-k sketches."""
    if not previous and not current:
        return 0.0
    if not previous or not current:
        return 1.0
    k = min(RECORD_SKETCH_SIZE, len(previous), len(current))
    smallest = sorted(set(previous) | set(current))[:k]
    before, now = set(previous), set(current)
    shared = sum(1 for h in smallest if h in before and h in now)
    return 1.0 - shared / len(smallest)


@dataclass(frozen=True)
class ModelChoice:
    """The model resolution uses, and what a person should know about it."""

    model: dict[str, Any]
    source: str  # "trained" or "committed"
    version: int | None
    message: str | None  # a fallback that needs attention, or None


def _rows(models: pa.Table | None) -> list[dict[str, Any]]:
    if models is None or models.num_rows == 0:
        return []
    return sorted(models.to_pylist(), key=lambda row: row["version"])


def retrain_reason(
    models: pa.Table | None, sketch: list[int], force: bool = False
) -> str | None:
    """Why this build trains a new model, or None to keep the current one."""
    rows = _rows(models)
    if not rows:
        return "no model trained on this warehouse yet"
    if force:
        return "requested"
    last = rows[-1]
    share = changed_share(list(last["record_sketch"] or []), sketch)
    if share >= RETRAIN_CHANGED_SHARE:
        return (
            f"{share:.0%} of the records are new, changed or gone since"
            f" version {last['version']}"
        )
    return None


def training_row(
    trained: TrainedModel,
    version: int,
    trigger: str,
    sketch: list[int],
    previous_accepted: dict[str, Any] | None,
) -> dict[str, Any]:
    from customer360.identity.train import describe_changes

    chosen = trained.chosen
    changes = (
        describe_changes(json.loads(previous_accepted["model_json"]), trained.settings)
        if previous_accepted
        else describe_changes(model_path(trained.entity_type), trained.settings)
    )
    return {
        "model_id": f"{trained.entity_type}:{version}",
        "entity_type": trained.entity_type,
        "version": version,
        "trained_at": trained.trained_at,
        "trigger": trigger,
        "status": ACCEPTED if trained.accepted else REJECTED,
        "records": trained.records,
        "prior": trained.prior or None,
        "expected_matching_pairs": trained.expected_matches or None,
        "match_threshold": trained.match_threshold,
        "expected_precision": chosen.expected_precision if chosen else None,
        "expected_recall": chosen.expected_recall if chosen else None,
        "failed_checks": "; ".join(
            f"{check.name}: {check.detail}" for check in trained.failed_checks
        )
        or None,
        "checks": json.dumps([check.as_dict() for check in trained.checks]),
        "em_passes": json.dumps(trained.passes, default=str),
        "changes": "\n".join(changes) or None,
        "seconds": trained.seconds,
        "record_sketch": sketch,
        "model_json": json.dumps(trained.settings, ensure_ascii=False),
    }


def train_if_needed(
    records: pa.Table,
    entity_type: EntityType,
    models: pa.Table | None,
    force: bool = False,
    organisation_clusters: pa.Table | None = None,
    log: Any = say,
) -> pa.Table:
    """The new model row(s) of this build: one when it trains, none otherwise.

    A company without any such records (no organisations at all) trains nothing and
    is not warned about: there is nothing to match.
    """
    sketch = record_sketch(records)
    if not sketch:
        return empty_models()
    reason = retrain_reason(models, sketch, force)
    if reason is None:
        return empty_models()
    rows = _rows(models)
    accepted = [row for row in rows if row["status"] == ACCEPTED]
    log(f"identity: training the {entity_type} model ({reason})")
    trained = train(
        records,
        entity_type,
        starting_model=json.loads(accepted[-1]["model_json"]) if accepted else None,
        organisation_clusters=organisation_clusters,
    )
    log(trained.summary())
    version = rows[-1]["version"] + 1 if rows else 1
    row = training_row(
        trained, version, reason, sketch, accepted[-1] if accepted else None
    )
    if row["status"] == REJECTED:
        fallback = (
            f"version {accepted[-1]['version']}" if accepted else "the committed model"
        )
        log(
            f"identity: the new {entity_type} model failed its checks"
            f" ({row['failed_checks']}); matching uses {fallback} instead"
        )
    return pa.Table.from_pylist([row], schema=pa.schema(MODEL_COLUMNS))


def choose_model(models: pa.Table | None, entity_type: EntityType) -> ModelChoice:
    """The newest accepted model, with a message when that is a fallback."""
    rows = _rows(models)
    accepted = [row for row in rows if row["status"] == ACCEPTED]
    newest = rows[-1] if rows else None
    if accepted:
        chosen = accepted[-1]
        message = None
        if newest is not chosen:
            message = (
                f"the {entity_type} model trained {_when(newest['trained_at'])}"
                f" (version {newest['version']}) failed its checks"
                f" ({newest['failed_checks']}); using version {chosen['version']},"
                f" trained {_when(chosen['trained_at'])}"
            )
        return ModelChoice(
            json.loads(chosen["model_json"]), "trained", chosen["version"], message
        )
    message = None
    if newest is not None:
        message = (
            f"no {entity_type} model trained on this warehouse passed its checks"
            f" (latest: {newest['failed_checks']}); using the committed model,"
            " trained on generated data: check the records, then"
            " `c360 identity train`"
        )
    return ModelChoice(load_model(model_path(entity_type)), "committed", None, message)


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else "?"

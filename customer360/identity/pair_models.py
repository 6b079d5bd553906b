"""The match-pair step as the dbt Python models run it: full, or only what changed.

`models/intermediate/identity/int_<entity>_match_pairs.py` are incremental models.
A first build, `--full-refresh`, a new model version or an empty pair table scores
every pair. Any other build rescores only the records whose match-table row changed
(resolve.score_pairs), deletes the kept pairs of those records and of records that
are gone, and appends what it scored. Beside the pairs, `<model>__scored_records`
keeps each record's content hash as last scored; it is named here, not a dbt model,
because the pair model must read it before writing it (a ref would be a cycle).
Each build also appends what it scored to `<model>__scorings` (build_tallies).
"""

from __future__ import annotations

import time
from typing import Any

import pyarrow as pa

from customer360.dbt_stdout import say
from customer360.identity.build_tallies import append_scoring, relation, table_exists
from customer360.identity.features import EntityType
from customer360.identity.model_store import ModelChoice
from customer360.identity.resolve import PreviousScoring, score_pairs
from customer360.identity.stable_ids import drop_leftover_temp_tables

STATE_SUFFIX = "__scored_records"


def model_version_of(choice: ModelChoice, entity_type: EntityType) -> str:
    if choice.version is None:
        return f"{entity_type}:committed"
    return f"{entity_type}:{choice.version}"


def _previous_scoring(
    dbt: Any, session: Any, model_version: str
) -> tuple[PreviousScoring | None, str]:
    """What the kept pairs were scored with, or None and why everything is scored."""
    if not dbt.is_incremental:
        return None, "first build or --full-refresh"
    columns = {
        row[0]
        for row in session.sql(
            "select column_name from information_schema.columns"
            f" where table_catalog = '{dbt.this.database}'"
            f" and table_schema = '{dbt.this.schema}'"
            f" and table_name = '{dbt.this.identifier}'"
        ).fetchall()
    }
    if not {"model_version", "scored_prior"} <= columns:
        # a pair table built before the pair models were incremental: dbt appends
        # only the columns its table has, so give it the new ones and score all
        for name, sql_type in (
            ("model_version", "varchar"),
            ("scored_prior", "double"),
        ):
            if name not in columns:
                session.sql(f"alter table {dbt.this} add column {name} {sql_type}")
        return None, "the kept pairs predate incremental scoring"
    state = dbt.this.identifier + STATE_SUFFIX
    if not table_exists(session, dbt.this, state):
        return None, f"no {state} kept"
    kept = session.sql(
        f"select distinct model_version, scored_prior from {dbt.this}"
    ).fetchall()
    if not kept:
        return None, "no pairs kept"
    if len(kept) > 1 or kept[0][0] != model_version:
        versions = ", ".join(sorted({str(row[0]) for row in kept}))
        return None, f"the model changed ({versions} -> {model_version})"
    hashes = (
        session.sql(f"select record_key, content_hash from {relation(dbt.this, state)}")
        .arrow()
        .read_all()
    )
    return PreviousScoring(record_hashes=hashes, prior=kept[0][1]), ""


def match_pairs_in_model(
    dbt: Any,
    session: Any,
    records: pa.Table,
    entity_type: EntityType,
    choice: ModelChoice,
    organisation_clusters: pa.Table | None = None,
    log: Any = say,
) -> pa.Table:
    """This build's rows of the pair model: every pair on a full scoring (the model
    table is emptied first), else only the rescored pairs, to be appended."""
    drop_leftover_temp_tables(session, dbt.this)
    model_version = model_version_of(choice, entity_type)
    previous, why_full = _previous_scoring(dbt, session, model_version)
    started = time.monotonic()
    scoring = score_pairs(
        records,
        entity_type,
        model=choice.model,
        organisation_clusters=organisation_clusters,
        previous=previous,
    )
    seconds = time.monotonic() - started

    state = relation(dbt.this, dbt.this.identifier + STATE_SUFFIX)
    session.register("c360_record_hashes", scoring.record_hashes)
    session.sql(f"create or replace table {state} as select * from c360_record_hashes")
    session.unregister("c360_record_hashes")
    if dbt.is_incremental:
        if previous is None:
            session.sql(f"delete from {dbt.this}")
        elif scoring.rescored_keys:
            session.register(
                "c360_rescored", pa.table({"record_key": scoring.rescored_keys})
            )
            session.sql(
                f"""
                delete from {dbt.this}
                where record_key_l in (select record_key from c360_rescored)
                   or record_key_r in (select record_key from c360_rescored)
                """
            )
            session.unregister("c360_rescored")

    gone_records = len(scoring.rescored_keys) - scoring.changed_records
    if previous is None:
        log(
            f"identity: {entity_type}: scored all {scoring.records} records"
            f" ({why_full}): {scoring.pairs.num_rows} pairs kept, prior"
            f" {scoring.prior:.3g}, {seconds:.1f} s"
        )
    else:
        log(
            f"identity: {entity_type}: {scoring.changed_records} of"
            f" {scoring.records} records new or changed,"
            f" {gone_records} gone:"
            f" {scoring.pairs.num_rows} pairs rescored with the prior"
            f" {scoring.prior:.3g} of the last full scoring, {seconds:.1f} s"
        )
    append_scoring(
        session,
        dbt.this,
        entity_type=entity_type,
        records=scoring.records,
        changed_records=scoring.changed_records,
        gone_records=0 if previous is None else gone_records,
        pairs_scored=scoring.pairs.num_rows,
        full_reason=why_full,
        seconds=seconds,
    )
    if scoring.pairs.num_rows == 0 and dbt.is_incremental:
        # nothing to append; an empty relation keeps the table's own columns
        return session.sql(f"select * from {dbt.this} limit 0")
    pairs = scoring.pairs
    pairs = pairs.append_column(
        "model_version", pa.array([model_version] * pairs.num_rows, pa.string())
    )
    return pairs.append_column(
        "scored_prior", pa.array([scoring.prior] * pairs.num_rows, pa.float64())
    )

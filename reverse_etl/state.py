"""What each CRM confirmed, and what every sync did: tables in the warehouse.

Schema `crm_sync` (beside dbt's, never touched by a build or a full refresh):

- `record_state`: per destination, target and record, the fingerprint and values
  the CRM last confirmed, and the last attempt's status, error and attempt count.
  A record is sent when its mapped values' fingerprint differs from the confirmed
  one; it is written here only for records the CRM confirmed (or rejected), batch
  by batch, so a sync killed at any moment re-sends at most the batch in flight.
- `runs`: one row per sync: when, destination, rows considered / unchanged /
  invalid / sent / confirmed / rejected / retried / given up / not sent, seconds.
- `row_log`: one row per record a sync sent or found invalid, with the outcome
  and the CRM's reason.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

import duckdb

SCHEMA = "crm_sync"
# a record the CRM rejected this many times in a row is not sent again until its
# values change (docs/crm_sync.md): a deleted record, a value the field refuses
MAX_ATTEMPTS = 3

_DDL = f"""
create schema if not exists {SCHEMA};
create table if not exists {SCHEMA}.record_state (
    destination varchar not null,
    target varchar not null,
    entity_type varchar not null,
    crm_id bigint not null,
    confirmed_fingerprint varchar,
    confirmed_values varchar,
    confirmed_at timestamp with time zone,
    status varchar not null,
    last_error varchar,
    attempts integer not null,
    attempted_fingerprint varchar,
    updated_at timestamp with time zone not null,
    primary key (destination, target, entity_type, crm_id)
);
create table if not exists {SCHEMA}.runs (
    run_id varchar primary key,
    destination varchar not null,
    started_at timestamp with time zone not null,
    finished_at timestamp with time zone,
    dry_run boolean not null,
    status varchar not null,
    considered integer,
    unchanged integer,
    invalid integer,
    sent integer,
    confirmed integer,
    rejected integer,
    retried integer,
    given_up integer,
    not_sent integer,
    fields_created integer,
    requests integer,
    seconds double,
    message varchar
);
-- the unchanged records whose only changes were numbers within their field's
-- resend_when_changed_by (added after the table: warehouses that have it without)
alter table {SCHEMA}.runs add column if not exists within_tolerance integer;
create table if not exists {SCHEMA}.row_log (
    run_id varchar not null,
    destination varchar not null,
    target varchar not null,
    entity_type varchar not null,
    crm_id bigint not null,
    outcome varchar not null,
    error varchar,
    attempt integer,
    sent_values varchar,
    logged_at timestamp with time zone not null
);
"""


@dataclass
class RecordState:
    confirmed_fingerprint: str | None
    status: str
    attempts: int
    attempted_fingerprint: str | None
    last_error: str | None = None
    # the mapped values the CRM confirmed last, by field (JSON in the table)
    confirmed_values: dict[str, Any] | None = None


@dataclass
class RunCounts:
    considered: int = 0
    unchanged: int = 0
    within_tolerance: int = 0
    invalid: int = 0
    sent: int = 0
    confirmed: int = 0
    rejected: int = 0
    retried: int = 0
    given_up: int = 0
    not_sent: int = 0
    fields_created: int = 0
    requests: int = 0
    # target -> why it was not synced
    unavailable: dict[str, str] = field(default_factory=dict)


def ensure_tables(connection: duckdb.DuckDBPyConnection) -> None:
    connection.execute(_DDL)


def load_state(
    connection: duckdb.DuckDBPyConnection, destination: str
) -> dict[tuple[str, str, int], RecordState]:
    rows = connection.execute(
        f"select target, entity_type, crm_id, confirmed_fingerprint, status, attempts,"
        f" attempted_fingerprint, last_error, confirmed_values"
        f" from {SCHEMA}.record_state where destination = ?",
        [destination],
    ).fetchall()
    return {
        (target, entity_type, crm_id): RecordState(
            *rest, confirmed_values=json.loads(values) if values else None
        )
        for target, entity_type, crm_id, *rest, values in rows
    }


def start_run(
    connection: duckdb.DuckDBPyConnection, run_id: str, destination: str, dry_run: bool
) -> None:
    # a run that never finished (killed) says so rather than "running" forever
    connection.execute(
        f"update {SCHEMA}.runs set status = 'interrupted'"
        " where destination = ? and status = 'running'",
        [destination],
    )
    connection.execute(
        f"insert into {SCHEMA}.runs (run_id, destination, started_at, dry_run, status)"
        " values (?, ?, ?, ?, 'running')",
        [run_id, destination, _now(), dry_run],
    )


def finish_run(
    connection: duckdb.DuckDBPyConnection,
    run_id: str,
    counts: RunCounts,
    seconds: float,
    status: str,
    message: str | None,
) -> None:
    values = {k: v for k, v in asdict(counts).items() if k != "unavailable"}
    assignments = ", ".join(f"{name} = ?" for name in values)
    connection.execute(
        f"update {SCHEMA}.runs set {assignments}, finished_at = ?, seconds = ?,"
        " status = ?, message = ? where run_id = ?",
        [*values.values(), _now(), seconds, status, message, run_id],
    )


@dataclass(frozen=True)
class Outcome:
    """One record's result in a batch, to be kept."""

    target: str
    entity_type: str
    crm_id: int
    fingerprint: str
    values: Mapping[str, Any]
    confirmed: bool
    error: str | None
    attempts: int  # this attempt included


def record_outcomes(
    connection: duckdb.DuckDBPyConnection,
    run_id: str,
    destination: str,
    outcomes: Iterable[Outcome],
) -> None:
    """Keep one batch's results, all or nothing, in one transaction."""
    now = _now()
    state_rows, log_rows = [], []
    for outcome in outcomes:
        values = json.dumps(outcome.values, ensure_ascii=False, sort_keys=True)
        if outcome.confirmed:
            status, attempts = "confirmed", 0
        else:
            attempts = outcome.attempts
            status = "given_up" if attempts >= MAX_ATTEMPTS else "failed"
        state_rows.append(
            [
                destination,
                outcome.target,
                outcome.entity_type,
                outcome.crm_id,
                outcome.fingerprint if outcome.confirmed else None,
                values if outcome.confirmed else None,
                now if outcome.confirmed else None,
                status,
                outcome.error,
                attempts,
                outcome.fingerprint,
                now,
            ]
        )
        log_rows.append(
            [
                run_id,
                destination,
                outcome.target,
                outcome.entity_type,
                outcome.crm_id,
                "confirmed" if outcome.confirmed else "rejected",
                outcome.error,
                outcome.attempts,
                values,
                now,
            ]
        )
    if not state_rows:
        return
    connection.execute("begin transaction")
    try:
        # a rejection keeps the values last confirmed: only what the CRM took is kept
        # one statement a batch: executemany runs the upsert once a row, and its
        # cost grows with the table (0.6 s a batch at 50,000 records kept, past
        # the half second a batch has at Bitrix24's 2 calls a second)
        connection.execute(
            f"insert into {SCHEMA}.record_state {_values(state_rows)}"
            " on conflict do update set"
            " confirmed_fingerprint = coalesce(excluded.confirmed_fingerprint,"
            "   record_state.confirmed_fingerprint),"
            " confirmed_values = coalesce(excluded.confirmed_values,"
            "   record_state.confirmed_values),"
            " confirmed_at = coalesce(excluded.confirmed_at,"
            "   record_state.confirmed_at),"
            " status = excluded.status, last_error = excluded.last_error,"
            " attempts = excluded.attempts,"
            " attempted_fingerprint = excluded.attempted_fingerprint,"
            " updated_at = excluded.updated_at",
            [value for row in state_rows for value in row],
        )
        connection.execute(
            f"insert into {SCHEMA}.row_log {_values(log_rows)}",
            [value for row in log_rows for value in row],
        )
        connection.execute("commit")
    except BaseException:
        connection.execute("rollback")
        raise


def log_invalid(
    connection: duckdb.DuckDBPyConnection,
    run_id: str,
    destination: str,
    rows: Iterable[tuple[str, str, int, str]],
) -> None:
    """Records whose values the CRM field cannot take: logged, never sent."""
    now = _now()
    connection.executemany(
        f"insert into {SCHEMA}.row_log"
        " values (?, ?, ?, ?, ?, 'invalid', ?, 0, null, ?)",
        [
            [run_id, destination, target, entity, crm_id, reason, now]
            for target, entity, crm_id, reason in rows
        ],
    )


def _values(rows: list[list[Any]]) -> str:
    """`values (?, ...), (?, ...)`: placeholders for all the rows at once."""
    row = "(" + ", ".join("?" for _ in rows[0]) + ")"
    return "values " + ", ".join(row for _ in rows)


def _now() -> datetime:
    return datetime.now(UTC)

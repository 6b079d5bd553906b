"""What a dbt build reads, as one fingerprint, and whether the last build already
read exactly that.

Every model is a function of the landed tables, the reviewers' identity decisions,
the project (its models, macros, seeds and the Python they import) and the
settings given to dbt; the marts' "now" is the data's own last day, not the clock.
So a build whose inputs are the same as those of the last complete build writes the
same tables, and the nightly run can leave it out. What is not in the inputs
makes a build run on its own:

- time itself for the forecasts: a fit falls due `forecast_refit_days` after the
  last one, data changed or not (customer360.forecasts.fit_store);
- a model or seed missing from the warehouse (dropped by hand);
- any dbt invocation since the last complete build (`c360 identity train`,
  `c360 forecasts refit`, a `dbt build` by hand, a build that failed half-way):
  the project's on-run-start hook notes each in `ops.dbt_invocations`, and a build
  is only left out when the last one to start is the complete build itself.

What dlt keeps for itself (`_dlt_loads`, `_dlt_pipeline_state`, `_dlt_version`) is
not an input: a CRM landing that found nothing new still records a load, and only
views (dq_source_loads) read the loads, so they stay current without a build.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib.metadata
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import duckdb

from customer360.forecasts.fit_store import RefitPolicy, refit_reason
from customer360.warehouse_readers import landed_table_names, table_exists

# the folders and files of the project a build reads, below the project folder
PROJECT_INPUTS = (
    "dbt_project.yml",
    "profiles.yml",
    "models",
    "macros",
    "seeds",
    "tests/models",
    "tests/macros",
    # the Python models import the product package, and its committed models
    "customer360",
)
PROJECT_SUFFIXES = (".sql", ".yml", ".yaml", ".csv", ".py", ".json", ".md")
# the packages whose version changes what a build writes
PACKAGES = ("dbt-core", "dbt-duckdb", "duckdb", "splink", "pandas", "numpy", "scipy")
# the one table a build reads that neither the landing nor a build writes
REVIEW_TABLE = "review.identity_decisions"

BUILDS_TABLE = "ops.dbt_builds"
INVOCATIONS_TABLE = "ops.dbt_invocations"
# the metadata a left-out build gives each of its assets: the run that built them
UNCHANGED_SINCE = "unchanged_since_run"


@dataclass(frozen=True)
class CompleteBuild:
    """The last build that ran to its end on the whole project."""

    run_id: str
    started_at: dt.datetime
    finished_at: dt.datetime
    fingerprint: str
    # dbt invocations started since this build started, itself included: 1 when
    # nothing else has built since
    invocations_since: int


def input_tables(connection: duckdb.DuckDBPyConnection) -> list[str]:
    """The landed tables and the review decisions: `schema.table`, sorted."""
    review = [REVIEW_TABLE] if table_exists(connection, REVIEW_TABLE) else []
    return sorted([*landed_table_names(connection), *review])


def tables_fingerprint(connection: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Each input table's row count and the sum of its rows' hashes.

    An empty table is left out: the models read a table that is not there as empty
    (the review decisions' table appears with the first build).

    A sum, not a XOR: two equal rows do not cancel out. About 0.7 s for the 1.5
    million landed rows of 100,000 customers.
    """
    fingerprints = {}
    for name in input_tables(connection):
        schema, table = name.split(".", 1)
        rows, total = connection.execute(
            f'select count(*), coalesce(sum(hash(t)), 0) from "{schema}"."{table}" t'
        ).fetchall()[0]
        if rows:
            fingerprints[name] = f"{rows}:{total}"
    return fingerprints


def project_fingerprint(project_dir: Path) -> str:
    """One hash of every project file a build reads (name and content)."""
    digest = hashlib.sha256()
    for path in _project_files(project_dir):
        digest.update(str(path.relative_to(project_dir)).encode())
        digest.update(b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def _project_files(project_dir: Path) -> Iterable[Path]:
    found = []
    for name in PROJECT_INPUTS:
        path = project_dir / name
        if path.is_file():
            found.append(path)
        elif path.is_dir():
            found.extend(
                p
                for p in path.rglob("*")
                if p.is_file()
                and p.suffix in PROJECT_SUFFIXES
                and "__pycache__" not in p.parts
            )
    return sorted(found)


def build_fingerprint(
    connection: duckdb.DuckDBPyConnection,
    project_dir: Path,
    settings_for_dbt: Mapping[str, str],
) -> str:
    """The fingerprint of everything a build reads, as it is now."""
    inputs = {
        "tables": tables_fingerprint(connection),
        "project": project_fingerprint(project_dir),
        "settings": dict(sorted(settings_for_dbt.items())),
        "packages": {name: _version(name) for name in PACKAGES},
    }
    return hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()


def _version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return ""


def last_complete_build(
    connection: duckdb.DuckDBPyConnection,
) -> CompleteBuild | None:
    """The last complete build on this warehouse, and how many dbt invocations
    started since it started; None when there is none."""
    if not table_exists(connection, BUILDS_TABLE):
        return None
    row = connection.execute(
        f"""
        select run_id, started_at, finished_at, fingerprint
        from {BUILDS_TABLE}
        order by started_at desc
        limit 1
        """
    ).fetchall()
    if not row:
        return None
    ((run_id, started_at, finished_at, fingerprint),) = row
    invocations = 0
    if table_exists(connection, INVOCATIONS_TABLE):
        (invocations,) = connection.execute(
            f"select count(*) from {INVOCATIONS_TABLE} where started_at >= ?",
            [started_at],
        ).fetchall()[0]
    return CompleteBuild(run_id, started_at, finished_at, fingerprint, invocations)


def record_complete_build(
    connection: duckdb.DuckDBPyConnection,
    run_id: str,
    started_at: dt.datetime,
    finished_at: dt.datetime,
    fingerprint: str,
) -> None:
    """Keep a build that ran to its end on the whole project, with its inputs."""
    connection.execute("create schema if not exists ops")
    connection.execute(
        f"""
        create table if not exists {BUILDS_TABLE} (
            run_id varchar not null,
            started_at timestamp with time zone not null,
            finished_at timestamp with time zone not null,
            fingerprint varchar not null
        )
        """
    )
    connection.execute(
        f"insert into {BUILDS_TABLE} values (?, ?, ?, ?)",
        [run_id, started_at, finished_at, fingerprint],
    )


# the forecasts' kept fits; each falls due for a refit with time alone
FIT_TABLES = ("intermediate.int_ltv_fits", "intermediate.int_churn_fits")


def forecast_fit_due(
    connection: duckdb.DuckDBPyConnection, policy: RefitPolicy, now: dt.datetime
) -> str | None:
    """Why a build with unchanged inputs must still run for the forecasts (a fit
    has fallen due with time, or there is none), or None.

    The data being the same as at the last build, only the rules of refit_reason
    that do not look at the data can fire: the first fit and the fit's age.
    """
    for table in FIT_TABLES:
        if not table_exists(connection, table):
            return f"{table} has not been built"
        fits = connection.sql(f"select * from {table}").arrow().read_all()
        rows = sorted(fits.to_pylist(), key=lambda row: row["version"])
        last = rows[-1] if rows else {}
        reason = refit_reason(
            fits,
            last.get("customers") or 0,
            last.get("data_as_of"),
            now,
            policy,
        )
        if reason is not None:
            return f"{table.split('.')[-1]}: {reason}"
    return None


def missing_relations(
    connection: duckdb.DuckDBPyConnection, manifest_path: Path
) -> list[str]:
    """The models and seeds of the parsed project that are not in the warehouse
    (dropped by hand, or never built): a build cannot be left out while any is."""
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    wanted = {
        (node["schema"], node["alias"])
        for node in manifest.get("nodes", {}).values()
        if node.get("resource_type") in ("model", "seed")
        and node.get("config", {}).get("materialized") != "ephemeral"
    }
    present = set(
        connection.execute(
            """
            select table_schema, table_name from information_schema.tables
            where table_catalog = current_database()
            """
        ).fetchall()
    )
    return sorted(f"{schema}.{name}" for schema, name in wanted - present)

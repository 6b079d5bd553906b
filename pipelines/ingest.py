"""Land every source into the warehouse and account for each record read."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import dlt
import duckdb
import pandas
from dlt.common.pipeline import LoadInfo
from dlt.extract.source import DltSource
from dlt.pipeline.exceptions import PipelineStepFailed

from customer360.settings import Settings, SettingsError
from customer360.warehouse_lock import warehouse_in_use
from pipelines.common.contracts import SchemaDriftError
from pipelines.common.destination import dataset_name, make_pipeline
from pipelines.common.rejects import REJECTS_TABLE
from pipelines.common.tally import KEY_SEPARATOR, SourceTally
from pipelines.landing_sources import SOURCES

Progress = Callable[[str], None]
# runs a built source through its pipeline: dlt's `pipeline.run` for `c360 ingest`,
# dagster-dlt's `DagsterDltResource.run` for the Dagster assets
RunPipeline = Callable[[dlt.Pipeline, DltSource], LoadInfo | None]


def run_with_dlt(pipeline: dlt.Pipeline, source: DltSource) -> LoadInfo:
    return pipeline.run(source)


class IngestError(RuntimeError):
    """A source could not be landed; the message says which, at what step and why."""


class UnbalancedTallyError(IngestError):
    """Rows read != unchanged + landed + rejected: something was dropped silently."""


class PartlyLandedError(IngestError):
    """Parts of a source (a file, a CRM portal) could not be landed; the rest was.

    `report` says what was landed, and its `failures` which parts were not and why.
    """

    def __init__(self, report: SourceReport):
        self.report = report
        parts = "; ".join(f"{part}: {why}" for part, why in report.failures.items())
        super().__init__(
            f"source {report.source!r}: not landed: {parts}. "
            "Everything else of the source was landed."
        )


@dataclass
class SourceReport:
    """What one source's load did."""

    source: str
    read: dict[str, int]
    landed: dict[str, int]
    rejected: dict[str, int]
    unchanged_files: list[str]
    seconds: float
    load_info: LoadInfo | None = None
    # why the company has none of this source (nothing was landed), or None
    absent: str | None = None
    # tables with no export to read (table -> what was looked for)
    absent_tables: dict[str, str] = field(default_factory=dict)
    # tables whose exports held no record this run (table -> the exports)
    empty_tables: dict[str, list[str]] = field(default_factory=dict)
    # columns this run added to a landed table beyond the source's contract
    new_columns: dict[str, list[str]] = field(default_factory=dict)
    # parts of the source that could not be landed (a file, a CRM portal) -> why
    failures: dict[str, str] = field(default_factory=dict)
    # rows read whose content is the landed one's, so not landed again
    unchanged: dict[str, int] = field(default_factory=dict)

    @property
    def tables(self) -> list[str]:
        return sorted(
            set(self.read)
            | set(self.unchanged)
            | set(self.landed)
            | set(self.rejected)
            | set(self.absent_tables)
            | set(self.empty_tables)
        )

    def table_status(self, table: str) -> str:
        """'absent' (no export), 'empty' (exports without records), or ''."""
        if table in self.absent_tables:
            return "absent"
        if table in self.empty_tables and not self.read.get(table):
            return "empty"
        return ""

    def notes(self) -> list[str]:
        """What a reader must not miss: absent and empty exports, new columns."""
        if self.absent:
            return [f"{self.source}: absent: {self.absent}"]
        notes = [
            f"{self.source} {table}: absent: no {looked_for}"
            for table, looked_for in sorted(self.absent_tables.items())
        ]
        notes += [
            f"{self.source} {table}: empty: no record in {', '.join(exports)}"
            for table, exports in sorted(self.empty_tables.items())
        ]
        notes += [
            f"{self.source} {table}: new column(s) landed: {', '.join(columns)}"
            for table, columns in sorted(self.new_columns.items())
        ]
        return notes

    @property
    def total_read(self) -> int:
        return sum(self.read.values())

    @property
    def total_unchanged(self) -> int:
        return sum(self.unchanged.values())

    @property
    def total_landed(self) -> int:
        return sum(self.landed.values())

    @property
    def total_rejected(self) -> int:
        return sum(self.rejected.values())


@dataclass
class IngestReport:
    """All sources of one `c360 ingest`, including the ones that failed."""

    sources: list[SourceReport] = field(default_factory=list)
    failures: dict[str, str] = field(default_factory=dict)
    # rows now in each raw table ("raw_onec.invoices"), after this run
    warehouse_rows: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.failures

    @property
    def absent(self) -> dict[str, str]:
        """The sources this company does not have, and why that was concluded."""
        return {r.source: r.absent for r in self.sources if r.absent}

    @property
    def nothing_present(self) -> bool:
        """Every source asked for is absent: most likely a setting points elsewhere."""
        return (
            bool(self.sources)
            and not self.failures
            and len(self.absent) == len(self.sources)
        )

    def format(self) -> str:
        header = (
            "source",
            "table",
            "read",
            "unchanged",
            "landed",
            "rejected",
            "in warehouse",
            "seconds",
            "status",
        )
        rows: list[tuple[str, ...]] = []
        for report in self.sources:
            schema = dataset_name(report.source)
            if report.absent:
                rows.append((report.source, "-", "", "", "", "", "", "", "absent"))
                continue
            tables = report.tables or ["-"]
            for index, table in enumerate(tables):
                in_warehouse = self.warehouse_rows.get(f"{schema}.{table}")
                rows.append(
                    (
                        report.source if index == 0 else "",
                        table,
                        f"{report.read.get(table, 0):,}",
                        f"{report.unchanged.get(table, 0):,}",
                        f"{report.landed.get(table, 0):,}",
                        f"{report.rejected.get(table, 0):,}",
                        "" if in_warehouse is None else f"{in_warehouse:,}",
                        f"{report.seconds:.1f}" if index == 0 else "",
                        report.table_status(table),
                    )
                )
        rows.append(
            (
                "total",
                "",
                f"{sum(r.total_read for r in self.sources):,}",
                f"{sum(r.total_unchanged for r in self.sources):,}",
                f"{sum(r.total_landed for r in self.sources):,}",
                f"{sum(r.total_rejected for r in self.sources):,}",
                "",
                f"{sum(r.seconds for r in self.sources):.1f}",
                "",
            )
        )
        widths = [
            max(len(row[i]) for row in (header, *rows)) for i in range(len(header))
        ]

        def line(cells: tuple[str, ...]) -> str:
            return "  ".join(
                cell.ljust(width) if i < 2 or i == len(cells) - 1 else cell.rjust(width)
                for i, (cell, width) in enumerate(zip(cells, widths, strict=True))
            ).rstrip()

        out = [
            line(header),
            line(tuple("-" * w for w in widths)),
            *map(line, rows[:-1]),
        ]
        out += [line(tuple("-" * w for w in widths)), line(rows[-1])]
        skipped = [
            f"{report.source} {len(report.unchanged_files)}"
            for report in self.sources
            if report.unchanged_files
        ]
        if skipped:
            out.append(
                "files unchanged since the last load, skipped: " + ", ".join(skipped)
            )
        for report in self.sources:
            out.extend(report.notes())
        if self.nothing_present:
            out.append(
                "nothing landed: every source is absent (check C360_LANDING_DIR "
                "and [crm] portals: `c360 settings`)"
            )
        if any(r.total_rejected for r in self.sources):
            out.append(
                "rejected records: select reason, file, line, raw "
                "from raw_<source>.rejects"
            )
        for source, message in self.failures.items():
            out.append(f"FAILED {source}: {message}")
        return "\n".join(out)


def _causes(error: BaseException) -> list[BaseException]:
    """The error and everything it wraps: dlt nests the real cause a few levels deep."""
    chain: list[BaseException] = []
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        chain.append(current)
        wrapped = getattr(current, "exception", None)
        if not isinstance(wrapped, BaseException):
            wrapped = current.__cause__ or current.__context__
        current = wrapped
    return chain


def explain_failure(source: str, error: PipelineStepFailed) -> BaseException:
    """A clear error for a failed dlt step; drift and settings errors as they are,
    and a warehouse held by another process as that, not as dlt's guess at
    credentials or the internet connection."""
    chain = _causes(error)
    for cause in chain:
        if isinstance(cause, SchemaDriftError | SettingsError):
            return cause
        if (in_use := warehouse_in_use(str(cause))) is not None:
            return in_use
    root = chain[-1]
    first_lines = "\n".join(str(root).strip().splitlines()[:3])
    return IngestError(
        f"source {source!r}: the {error.step} step failed: "
        f"{type(root).__name__}: {first_lines}"
    )


def land_source(
    name: str,
    settings: Settings,
    progress: Progress | None = print,
    run: RunPipeline = run_with_dlt,
) -> SourceReport:
    """Land one source into raw_<name>; raise a clear error when it cannot be landed.

    `run` does the load itself; whoever runs it, the tally is checked against what
    landed, drift stops the source, and new columns are reported. When parts of the
    source (a file, a CRM portal) could not be landed, the rest is landed and
    PartlyLandedError, carrying the report, names the parts and says why.
    """
    if name not in SOURCES:
        raise IngestError(f"unknown source {name!r}; known: {', '.join(SOURCES)}")
    if absent := SOURCES[name].absent(settings):
        # not a failure (a company has some systems, not all), and not a clean
        # empty load either: the report says the source is absent and why
        if progress:
            progress(f"{name}: absent: {absent}")
        return SourceReport(name, {}, {}, {}, [], 0.0, absent=absent)
    tally = SourceTally(name)
    pipeline = make_pipeline(name, settings)
    schema = dataset_name(name)
    columns_before = warehouse_columns(settings.warehouse_path, schema)
    started = time.perf_counter()
    try:
        if pipeline.has_pending_data:
            # dlt's run() would only finish the interrupted load and ignore new
            # data, and dagster-dlt's would throw the interrupted load away
            if progress:
                progress(f"{name}: finishing an interrupted earlier load first")
            pipeline.normalize()
            pipeline.load()
        source = SOURCES[name].build(settings, tally, progress)
        load_info = run(pipeline, source)
    except PipelineStepFailed as error:
        raise explain_failure(name, error) from error
    seconds = time.perf_counter() - started
    if unbalanced := tally.unbalanced():
        details = "; ".join(
            f"{table}: read {r:,}, unchanged {same:,}, landed {landed:,}, "
            f"rejected {rej:,}"
            for table, (r, same, landed, rej) in unbalanced.items()
        )
        raise UnbalancedTallyError(f"source {name!r}: rows unaccounted for: {details}")
    # what the pipeline handed to dlt is not yet what the warehouse holds: a record
    # counts as landed (or rejected) only once its key is found in the table
    in_warehouse = find_in_warehouse(settings.warehouse_path, schema, tally)
    if missing := in_warehouse.missing:
        raise UnbalancedTallyError(
            f"source {name!r}: records handed to dlt are not in the warehouse "
            "after the load: "
            + "; ".join(
                f"{schema}.{table}: read {tally.read[table]:,}"
                + (
                    f" ({tally.unchanged[table]:,} unchanged)"
                    if tally.unchanged[table]
                    else ""
                )
                + ", in the table "
                f"{in_warehouse.landed.get(table, 0):,} landed + "
                f"{in_warehouse.rejected.get(table, 0):,} rejected; missing "
                f"{count:,}, e.g. {', '.join(examples)}"
                for table, (count, examples) in missing.items()
            )
        )
    columns_after = warehouse_columns(settings.warehouse_path, schema)
    new_columns = {
        table: sorted(added)
        for table, extra in tally.extra_fields.items()
        if (
            added := extra
            & (columns_after.get(table, set()) - columns_before.get(table, set()))
        )
    }
    for table, columns in new_columns.items():
        if progress:
            progress(f"{name} {table}: new column(s) landed: {', '.join(columns)}")
    report = SourceReport(
        source=name,
        read=dict(tally.read),
        unchanged={t: n for t, n in tally.unchanged.items() if n},
        landed=in_warehouse.landed,
        rejected=in_warehouse.rejected,
        unchanged_files=list(tally.unchanged_files),
        seconds=seconds,
        load_info=load_info,
        absent_tables=dict(tally.absent_tables),
        empty_tables={t: list(e) for t, e in tally.empty_tables.items()},
        new_columns=new_columns,
        failures=dict(tally.failures),
    )
    if report.failures:
        raise PartlyLandedError(report)
    return report


@dataclass
class FoundInWarehouse:
    """Records of a run's tally found in the warehouse after the load, per table."""

    landed: dict[str, int]
    rejected: dict[str, int]
    # table -> (records counted as landed or rejected but not found, a few keys)
    missing: dict[str, tuple[int, list[str]]]


def find_in_warehouse(
    warehouse_path: Path | str, schema: str, tally: SourceTally
) -> FoundInWarehouse:
    """Look up every record the tally counted, by its key, in the loaded tables.

    Landed records are looked up by primary key in their table, rejects by
    reject_id in `rejects`: a record that dlt (or anything between) dropped is
    then missing, whatever the pipeline handed over.
    """
    found = FoundInWarehouse({}, {}, {})
    counted = {table: keys for table, keys in tally.landed_keys.items() if keys} | {
        f"{REJECTS_TABLE}:{t}": ids for t, ids in tally.reject_ids.items() if ids
    }
    if not counted:
        return found
    path = Path(warehouse_path)
    with duckdb.connect(str(path), read_only=True) as connection:
        tables = {
            table
            for (table,) in connection.execute(
                "select table_name from information_schema.tables "
                "where table_schema = ?",
                [schema],
            ).fetchall()
        }
        for entry, keys in counted.items():
            if entry.startswith(f"{REJECTS_TABLE}:"):
                table = entry.split(":", 1)[1]
                landed_in, columns, result = (
                    REJECTS_TABLE,
                    ("reject_id",),
                    found.rejected,
                )
            else:
                table, landed_in, result = entry, entry, found.landed
                columns = tally.key_columns[table]
            if landed_in not in tables:
                present, absent_keys = 0, keys[:3]
            else:
                present, absent_keys = _look_up(
                    connection, f'"{schema}"."{landed_in}"', _key_sql(columns), keys
                )
            result[table] = present
            if present < len(keys):
                count, examples = found.missing.get(table, (0, []))
                examples += [_shown(columns, key) for key in absent_keys]
                found.missing[table] = (count + len(keys) - present, examples[:3])
    return found


def _key_sql(columns: Sequence[str]) -> str:
    """The SQL that rebuilds `record_key` from a table's key columns."""
    parts = [f'cast("{column}" as varchar)' for column in columns]
    if len(parts) == 1:
        return parts[0]
    return f"concat_ws(chr({ord(KEY_SEPARATOR)}), {', '.join(parts)})"


def _shown(columns: Sequence[str], key: str) -> str:
    """A record key as a reader would write it: branch=astana id=5."""
    return " ".join(
        f"{column}={value}"
        for column, value in zip(columns, key.split(KEY_SEPARATOR), strict=True)
    )


def _look_up(
    connection: duckdb.DuckDBPyConnection,
    table: str,
    key_sql: str,
    keys: list[str],
) -> tuple[int, list[str]]:
    """(how many of `keys` the table holds, up to three it does not)."""
    connection.register("counted_keys", pandas.DataFrame({"key": keys}))
    try:
        landed_keys = f"(select {key_sql} from {table})"
        # fetchall, not fetchone: DuckDB keeps a half-fetched result open
        [(present,)] = connection.execute(
            f"select count(*) from counted_keys where key in {landed_keys}"
        ).fetchall()
        absent: list[str] = []
        if present < len(keys):
            absent = [
                key
                for (key,) in connection.execute(
                    "select key from counted_keys "
                    f"where key not in {landed_keys} limit 3"
                ).fetchall()
            ]
    finally:
        connection.unregister("counted_keys")
    return present, absent


def warehouse_columns(warehouse_path: Path | str, schema: str) -> dict[str, set[str]]:
    """The columns of every table in `schema`, {table: {column}}; {} before any load."""
    path = Path(warehouse_path)
    if not path.is_file():
        return {}
    with duckdb.connect(str(path), read_only=True) as connection:
        rows = connection.execute(
            "select table_name, column_name from information_schema.columns "
            "where table_schema = ?",
            [schema],
        ).fetchall()
    columns: dict[str, set[str]] = {}
    for table, column in rows:
        columns.setdefault(table, set()).add(column)
    return columns


def warehouse_row_counts(
    warehouse_path: Path | str, schemas: Sequence[str] | None = None
) -> dict[str, int]:
    """Rows now in each landed table as {"raw_onec.invoices": n}; not dlt's own."""
    path = Path(warehouse_path)
    if not path.is_file():
        return {}
    wanted = (
        list(schemas) if schemas is not None else [dataset_name(s) for s in SOURCES]
    )
    counts: dict[str, int] = {}
    with duckdb.connect(str(path), read_only=True) as connection:
        tables = connection.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_schema in (select unnest(?)) and table_type = 'BASE TABLE' "
            "and not starts_with(table_name, '_dlt') order by 1, 2",
            [wanted],
        ).fetchall()
        for schema, table in tables:
            (count,) = connection.execute(
                f'select count(*) from "{schema}"."{table}"'
            ).fetchone()
            counts[f"{schema}.{table}"] = count
    return counts


def run_ingest(
    settings: Settings,
    sources: list[str] | None = None,
    progress: Progress | None = print,
) -> IngestReport:
    """Land the chosen sources (default all); a failing one does not stop the rest."""
    names = list(sources) if sources else list(SOURCES)
    unknown = [name for name in names if name not in SOURCES]
    if unknown:
        raise IngestError(
            f"unknown source(s) {', '.join(unknown)}; known: {', '.join(SOURCES)}"
        )
    report = IngestReport()
    for name in names:
        if progress:
            progress(f"{name}: landing ({SOURCES[name].description})")
        try:
            report.sources.append(land_source(name, settings, progress))
        except PartlyLandedError as error:
            report.sources.append(error.report)
            report.failures[name] = str(error)
            if progress:
                progress(f"{name}: FAILED: {error}")
        except Exception as error:  # noqa: BLE001 - one source's failure is reported, not fatal
            # DuckDB's own refusal of a held warehouse, said as who holds it
            message = str(warehouse_in_use(str(error)) or error)
            report.failures[name] = message
            if progress:
                progress(f"{name}: FAILED: {message}")
    report.warehouse_rows = warehouse_row_counts(
        settings.warehouse_path, [dataset_name(name) for name in names]
    )
    return report

"""Where the landing pipelines write: one DuckDB warehouse, one schema per source."""

from __future__ import annotations

from pathlib import Path

import dlt

from customer360.settings import Settings


def dataset_name(source_name: str) -> str:
    return f"raw_{source_name}"


def make_pipeline(source_name: str, warehouse: Settings | Path | str) -> dlt.Pipeline:
    """A dlt pipeline landing `source_name` into schema raw_<source_name>.

    Pipeline state (incremental cursors, processed files) lives beside the
    warehouse file, so each warehouse (the demo's, a test's) has its own.
    """
    path = Path(
        warehouse.warehouse_path if isinstance(warehouse, Settings) else warehouse
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    return dlt.pipeline(
        pipeline_name=f"c360_{source_name}",
        destination=dlt.destinations.duckdb(str(path)),
        dataset_name=dataset_name(source_name),
        pipelines_dir=str(path.parent / ".dlt_pipelines" / path.stem),
    )

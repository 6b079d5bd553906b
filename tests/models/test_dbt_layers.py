"""dbt layers read one way: staging < intermediate < marts; sources in staging only."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.landed_company import PROJECT_DIR, build_failures, run_dbt

pytestmark = pytest.mark.slow

# a model's layer is the first folder under models/; a model reads its own layer or
# the layers below (staging reads sources and seeds only)
LAYERS = ("staging", "intermediate", "marts")
MAY_READ_MODELS_OF = {
    "staging": set(),
    "intermediate": {"staging", "intermediate"},
    "marts": {"staging", "intermediate", "marts"},
}
# what `dbt parse` needs of the project; the rest of the repository is Python
DBT_PROJECT_FILES = ("dbt_project.yml", "profiles.yml")
DBT_PROJECT_FOLDERS = ("models", "macros", "seeds", "tests/models", "tests/macros")


def layer_of(node: dict) -> str:
    """The first folder under models/ (`models/marts/churn/x.sql` is in marts)."""
    parts = Path(node["original_file_path"]).parts
    return parts[1] if len(parts) > 2 and parts[0] == "models" else ""


def layer_breaches(manifest: dict) -> list[str]:
    """Every read of a dbt model against the layer order, one line per edge:
    `int_x (intermediate) -> fct_y (marts)` or `x (marts) -> source crm.contacts`."""
    breaches = []
    for node in manifest["nodes"].values():
        if node["resource_type"] != "model":
            continue
        layer = layer_of(node)
        if layer not in LAYERS:
            breaches.append(
                f"{node['original_file_path']}: not in a layer folder ({LAYERS})"
            )
            continue
        reader = f"{node['name']} ({layer})"
        for upstream_id in node["depends_on"]["nodes"]:
            if upstream_id in manifest["sources"]:
                source = manifest["sources"][upstream_id]
                if layer != "staging":
                    breaches.append(
                        f"{reader} -> source {source['source_name']}.{source['name']}"
                    )
                continue
            upstream = manifest["nodes"][upstream_id]
            if upstream["resource_type"] != "model":
                continue  # seeds are lookup tables every layer may read
            upstream_layer = layer_of(upstream)
            if upstream_layer not in MAY_READ_MODELS_OF[layer]:
                breaches.append(f"{reader} -> {upstream['name']} ({upstream_layer})")
    return sorted(breaches)


# the schema a model builds into follows its name, whatever folder it sits in: the
# steps that prepare a mart (int_) stay out of the marts schema BI tools read
SCHEMA_OF_PREFIX = {"stg_": "staging", "int_": "intermediate"}


def misplaced_schemas(manifest: dict) -> list[str]:
    """`<model>: <schema>, expected <schema>` for each model built into the wrong
    schema for its name (stg_ -> staging, int_ -> intermediate, else marts)."""
    found = []
    for node in manifest["nodes"].values():
        if node["resource_type"] != "model":
            continue
        expected = next(
            (
                schema
                for prefix, schema in SCHEMA_OF_PREFIX.items()
                if node["name"].startswith(prefix)
            ),
            "marts",
        )
        # dbt-duckdb prefixes the custom schema with the target's ("main_marts")
        if not node["schema"].endswith(expected):
            found.append(f"{node['name']}: {node['schema']}, expected {expected}")
    return sorted(found)


def parsed_manifest(project_dir: Path, scratch: Path) -> dict:
    """A real `dbt parse` of the project at `project_dir`; its manifest."""
    target = scratch / "target"
    result = run_dbt(
        ["parse"], scratch / "warehouse.duckdb", target, project_dir=project_dir
    )
    assert result.success, build_failures(result)
    return json.loads((target / "manifest.json").read_text())


def test_every_model_reads_only_its_own_layer_or_the_layers_below(
    tmp_path: Path,
) -> None:
    manifest = parsed_manifest(PROJECT_DIR, tmp_path)
    breaches = layer_breaches(manifest)
    assert breaches == [], "models that read against the layer order:\n" + "\n".join(
        breaches
    )
    assert misplaced_schemas(manifest) == []


def test_the_layer_check_names_a_mart_read_by_intermediate_and_a_source_outside_staging(
    tmp_path: Path,
) -> None:
    project = tmp_path / "project"
    for name in DBT_PROJECT_FILES:
        project.mkdir(exist_ok=True)
        shutil.copy(PROJECT_DIR / name, project / name)
    for folder in DBT_PROJECT_FOLDERS:
        shutil.copytree(PROJECT_DIR / folder, project / folder)
    (project / "models/intermediate/golden/int_customers_read_back.sql").write_text(
        "select customer_id from {{ ref('dim_customers') }}\n"
    )
    (project / "models/marts/customers/crm_contacts_raw.sql").write_text(
        "select id from {{ source('crm', 'contacts') }}\n"
    )
    # a preparation step added beside a mart without its schema setting
    (project / "models/marts/churn/int_churn_extra.sql").write_text("select 1 as one\n")

    manifest = parsed_manifest(project, tmp_path)
    breaches = layer_breaches(manifest)

    assert breaches == [
        "crm_contacts_raw (marts) -> source crm.contacts",
        "int_customers_read_back (intermediate) -> dim_customers (marts)",
    ]
    [misplaced] = misplaced_schemas(manifest)
    assert misplaced.startswith("int_churn_extra: ") and "expected intermediate" in (
        misplaced
    )

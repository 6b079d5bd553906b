"""`dbt docs generate` works, and every mart column a BI tool sees is described."""

from __future__ import annotations

import json
from pathlib import Path

from tests.landed_company import BuiltCompany


def test_docs_generate_describes_every_mart_column(
    built_company: BuiltCompany, tmp_path: Path
) -> None:
    # a copy: docs generate opens the warehouse to read its catalog
    company = built_company.copy_to(tmp_path)
    result = company.dbt(["docs", "generate"])
    assert result.success, result.exception

    manifest = json.loads((company.target_path / "manifest.json").read_text())
    catalog = json.loads((company.target_path / "catalog.json").read_text())
    undescribed = []
    marts = 0
    for unique_id, node in catalog["nodes"].items():
        if node["metadata"]["schema"] != "marts":
            continue
        marts += 1
        documented = manifest["nodes"][unique_id]
        assert documented.get("description"), f"{unique_id} has no description"
        described = {
            name.lower()
            for name, column in documented["columns"].items()
            if column.get("description")
        }
        undescribed += [
            f"{node['metadata']['name']}.{column}"
            for column in node["columns"]
            if column.lower() not in described
        ]
    assert marts >= 2  # dim_customers and dim_contacts at least
    assert undescribed == []

"""A company has some of the source systems, not all, with its own branch names.

Each company here is landed from its own exports, in the documented formats, and run
through `c360 run` (Dagster in-process) to the end: the systems it does not have are
reported absent and their tables and marts are built empty.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pytest
import requests

from c360.main import main
from customer360.settings import load_settings
from demo.generator import generate
from demo.standins.amocrm import start_amocrm_standin
from demo.standins.bitrix24 import RateLimit, start_standin
from tests.landed_company import build_failures, run_dbt

pytestmark = pytest.mark.slow

PROJECT_DIR = Path(__file__).resolve().parents[2]
TOKEN = "shapes-test-token"
CUSTOMERS = 150
SEED = 23


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One small generated company; each test keeps the systems of its shape."""
    root = tmp_path_factory.mktemp("generated")
    generate(root / "landing", root / "ground_truth", customers=CUSTOMERS, seed=SEED)
    return root / "landing"


def _company(
    generated: Path,
    root: Path,
    systems: set[str],
    monkeypatch: pytest.MonkeyPatch,
    config: str = "",
) -> Path:
    """A landing folder with only `systems`, and the company's own c360.toml."""
    landing = root / "landing"
    for system in systems:
        shutil.copytree(generated / system, landing / system)
    landing.mkdir(parents=True, exist_ok=True)
    (root / "c360.toml").write_text(config, encoding="utf-8")
    monkeypatch.setenv("C360_PROJECT_DIR", str(PROJECT_DIR))
    monkeypatch.setenv("C360_CONFIG", str(root / "c360.toml"))
    monkeypatch.setenv("C360_WAREHOUSE", str(root / "warehouse" / "c360.duckdb"))
    monkeypatch.setenv("C360_LANDING_DIR", str(landing))
    monkeypatch.setenv("C360_CRM_WEBHOOK_TOKEN", TOKEN)
    monkeypatch.setenv("C360_AMOCRM_TOKEN", TOKEN)
    for name in ("C360_CRM_PORTALS", "C360_ONEC_BRANCHES", "C360_AMOCRM_ACCOUNTS"):
        monkeypatch.delenv(name, raising=False)
    return landing


@contextmanager
def _serve_crm(
    landing: Path, root: Path, branches: list[str], monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    """The company's portals on the local Bitrix24 stand-in, for as long as needed."""
    with start_standin(
        root / "standin",
        branches,
        token=TOKEN,
        rate_limit=RateLimit(capacity=50, drain_per_second=200),
        seed_from=landing,
    ) as standin:
        monkeypatch.setenv(
            "C360_CRM_PORTALS",
            ",".join(f"{branch}={url}" for branch, url in standin.urls.items()),
        )
        yield


def _counts(warehouse: Path, tables: list[str]) -> dict[str, int | None]:
    """Rows per table, None for a table that is not there."""
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        present = {
            f"{schema}.{table}"
            for schema, table in connection.execute(
                "select table_schema, table_name from information_schema.tables"
            ).fetchall()
        }
        return {
            table: connection.execute(f"select count(*) from {table}").fetchone()[0]
            if table in present
            else None
            for table in tables
        }


def _run(capsys: pytest.CaptureFixture[str]) -> str:
    code = main(["run"])
    printed = capsys.readouterr().out
    assert code == 0, printed
    assert "all assets materialised" in printed
    return printed


MARTS = [
    "marts.dim_customers",
    "marts.dim_contacts",
    "marts.fct_sales",
    "marts.fct_payments",
    "marts.fct_deals",
    "marts.fct_calls",
    "marts.fct_tickets",
    "marts.fct_customer_interactions",
    "marts.customer_rfm",
    "marts.customer_ltv",
    "marts.customer_churn",
    "marts.revenue_reconciliation",
    "marts.customer_360",
]


def test_a_company_with_only_a_crm_runs_to_the_end(
    generated: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    landing = _company(generated, tmp_path, {"crm"}, monkeypatch)
    with _serve_crm(landing, tmp_path, ["almaty", "astana", "shymkent"], monkeypatch):
        printed = _run(capsys)

    for source in ("onec", "telephony", "support"):
        assert f"raw_{source}/" in printed
        assert f"absent: no folder {landing / source}" in printed
    assert "raw_onec/invoices" in printed and "raw_crm/contacts" in printed
    # what to look at next leaves out the systems the company lacks
    assert "from raw_onec.rejects" not in printed
    assert "from raw_crm.contacts" in printed
    warehouse = load_settings().warehouse_path
    counts = _counts(
        warehouse,
        [
            "raw_onec.invoices",
            "staging.stg_onec__invoices",
            "staging.stg_telephony__calls",
            "intermediate.int_person_clusters",
            *MARTS,
        ],
    )
    # never landed, read as empty all the same
    assert counts["raw_onec.invoices"] is None
    assert counts["staging.stg_onec__invoices"] == 0
    assert counts["staging.stg_telephony__calls"] == 0
    for mart in ("fct_sales", "fct_payments", "fct_calls", "fct_tickets"):
        assert counts[f"marts.{mart}"] == 0, mart
    for mart in ("customer_rfm", "customer_ltv", "customer_churn"):
        assert counts[f"marts.{mart}"] == 0, mart  # no 1C: nobody has purchases
    # what the CRM knows is resolved and published
    assert counts["intermediate.int_person_clusters"] > 0
    for mart in ("dim_customers", "dim_contacts", "fct_deals", "customer_360"):
        assert counts[f"marts.{mart}"] > 0, mart
    assert counts["marts.revenue_reconciliation"] > 0  # CRM's side only


def test_a_company_with_a_crm_and_1c_names_its_own_branches(
    generated: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A Bitrix24 portal in karaganda and an amoCRM account in astana; 1C writes
    Караганда (read by transliteration), Нур-Султан (named in [onec] branches) and
    Шымкент (a branch without a CRM). The golden record goes back into both CRMs."""
    landing = _company(
        generated,
        tmp_path,
        {"crm", "onec"},
        monkeypatch,
        config='[onec]\nbranches = { "Нур-Султан" = "astana" }\n',
    )
    _rename_branch(landing, "almaty", "karaganda", "Алматы", "Караганда")
    (landing / "crm" / "shymkent.json").unlink()
    _rewrite_filial(landing, "Астана", "Нур-Султан")
    # this company grants no discounts: its export holds the header only
    discounts = landing / "onec" / "discounts.csv"
    discounts.write_bytes(discounts.read_bytes().split(b"\r\n", 1)[0] + b"\r\n")
    with (
        _serve_crm(landing, tmp_path, ["karaganda"], monkeypatch),
        start_amocrm_standin(
            tmp_path / "amocrm", token=TOKEN, seed_from=landing, seed_branch="astana"
        ) as amo,
    ):
        monkeypatch.setenv("C360_AMOCRM_ACCOUNTS", f"astana={amo.url}")
        printed = _run(capsys)
        written = _amocrm_c360_ids(amo.url)

    assert f"absent: no folder {landing / 'telephony'}" in printed
    assert f"absent: no folder {landing / 'support'}" in printed
    assert "raw_onec/discounts: empty: no record in onec/discounts.csv" in printed
    warehouse = load_settings().warehouse_path
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        branches = connection.execute(
            "select distinct branch from staging.stg_crm__contacts order by 1"
        ).fetchall()
        filials = dict(
            connection.execute(
                "select distinct branch_name, branch from staging.stg_onec__invoices"
            ).fetchall()
        )
    assert branches == [("astana",), ("karaganda",)]
    assert filials == {
        "Караганда": "karaganda",
        "Нур-Султан": "astana",
        "Шымкент": None,
    }
    counts = _counts(
        warehouse,
        [
            "intermediate.int_person_clusters",
            "intermediate.int_organisation_clusters",
            "intermediate.int_entity_id_registry",
            *MARTS,
        ],
    )
    # the identity models were built, not skipped behind a failed branch test
    assert counts["intermediate.int_person_clusters"] > 0
    assert counts["intermediate.int_organisation_clusters"] > 0
    assert counts["intermediate.int_entity_id_registry"] > 0
    for mart in ("dim_customers", "fct_sales", "fct_deals", "customer_ltv"):
        assert counts[f"marts.{mart}"] > 0, mart
    assert counts["marts.fct_calls"] == counts["marts.fct_tickets"] == 0
    # each CRM got the golden IDs of its own records, and said it took them
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        expected = dict(
            connection.execute(
                "select crm_id, c360_id from marts.crm_sync_records"
                " where branch = 'astana' and entity_type = 'contact'"
            ).fetchall()
        )
        synced = dict(
            connection.execute(
                "select destination, sum(confirmed) from crm_sync.runs group by 1"
            ).fetchall()
        )
    assert expected and written == expected
    assert synced["amocrm"] >= len(expected) and synced["bitrix24"] > 0

    # the same warehouse checked against branches that leave karaganda out: the
    # test that guards the branch codes fails, so it is the settings that count
    checked = run_dbt(
        ["test", "--select", "stg_crm__contacts,test_name:configured_branch"],
        warehouse,
        tmp_path / "target",
        branches=["almaty", "astana"],
    )
    [failure] = build_failures(checked)
    assert "configured_branch_stg_crm__contacts_branch" in failure


def test_a_company_with_1c_and_no_crm_reports_the_crm_absent(
    generated: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    landing = _company(generated, tmp_path, {"onec"}, monkeypatch)

    printed = _run(capsys)

    assert "raw_crm/contacts" in printed
    assert "absent: no CRM portals configured" in printed
    assert "from raw_crm.contacts" not in printed
    warehouse = load_settings().warehouse_path
    counts = _counts(
        warehouse,
        [
            "raw_crm.contacts",
            "staging.stg_crm__contacts",
            "intermediate.int_organisation_clusters",
            *MARTS,
        ],
    )
    assert counts["raw_crm.contacts"] is None
    assert counts["staging.stg_crm__contacts"] == 0
    assert counts["marts.fct_deals"] == 0
    assert counts["intermediate.int_organisation_clusters"] > 0
    for mart in ("dim_customers", "fct_sales", "customer_rfm", "customer_360"):
        assert counts[f"marts.{mart}"] > 0, mart
    assert landing.is_dir()


def _amocrm_c360_ids(url: str) -> dict[int, str]:
    """Each amoCRM contact's C360_ID field, as the account answers it."""
    ids: dict[int, str] = {}
    page = 1
    while True:
        answer = requests.get(
            f"{url}/api/v4/contacts",
            params={"page": page, "limit": 250},
            headers={"Authorization": f"Bearer {TOKEN}"},
            timeout=10,
        )
        if answer.status_code == 204:
            return ids
        answer.raise_for_status()
        for contact in answer.json()["_embedded"]["contacts"]:
            for field in contact.get("custom_fields_values") or []:
                if field.get("field_code") == "C360_ID":
                    ids[contact["id"]] = field["values"][0]["value"]
        page += 1


def _rename_branch(
    landing: Path, branch: str, new_branch: str, filial: str, new_filial: str
) -> None:
    """The generated `branch` portal and 1C Филиал, as another company names them."""
    seed = json.loads((landing / "crm" / f"{branch}.json").read_text("utf-8"))
    seed["portal"] = new_branch
    (landing / "crm" / f"{new_branch}.json").write_text(
        json.dumps(seed, ensure_ascii=False), encoding="utf-8"
    )
    (landing / "crm" / f"{branch}.json").unlink()
    _rewrite_filial(landing, filial, new_filial)


def _rewrite_filial(landing: Path, filial: str, new_filial: str) -> None:
    path = landing / "onec" / "invoices.csv"
    rows = list(
        csv.reader(io.StringIO(path.read_bytes().decode("cp1251")), delimiter=";")
    )
    column = rows[0].index("Филиал")
    for row in rows[1:]:
        if row and row[column] == filial:
            row[column] = new_filial
    out = io.StringIO()
    csv.writer(out, delimiter=";", lineterminator="\r\n").writerows(rows)
    path.write_bytes(out.getvalue().encode("cp1251"))

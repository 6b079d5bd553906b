"""amoCRM branches land their contacts and companies in the Bitrix24 tables."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest
import requests
from crm_testkit import BRANCH_SIZES, Warehouse, causes

from customer360.settings import AmoCrmAccount, Settings
from demo.standins.amocrm import AmoCrmStandin, RateLimit, start_amocrm_standin
from demo.standins.amocrm.samples import BASE, seed_document
from demo.standins.bitrix24 import StandinHandle
from pipelines.crm import CrmAuthError, CrmBlockedError, CrmRequestError
from pipelines.crm.amocrm import AmoCrmClient
from pipelines.crm.amocrm_api import MAX_RATE_LIMITED, AmoCrmApi
from pipelines.ingest import land_source
from tests.landed_company import build_failures, run_dbt

AMO_TOKEN = "amo-long-lived-token-7c1e"
BRANCH = "karaganda"
CONTACTS, COMPANIES = 30, 7


@pytest.fixture
def start_amo(tmp_path: Path) -> Iterator[Callable[..., AmoCrmStandin]]:
    handles: list[AmoCrmStandin] = []

    def _start(**kwargs: Any) -> AmoCrmStandin:
        kwargs.setdefault("seed_from", seed_document(CONTACTS, COMPANIES))
        handle = start_amocrm_standin(tmp_path / "amocrm", token=AMO_TOKEN, **kwargs)
        handles.append(handle)
        return handle

    yield _start
    for handle in handles:
        handle.stop()


@pytest.fixture
def amo(start_amo: Callable[..., AmoCrmStandin]) -> AmoCrmStandin:
    return start_amo()


def _account(amo: AmoCrmStandin, token: str = AMO_TOKEN) -> AmoCrmAccount:
    return AmoCrmAccount(BRANCH, amo.url, token=token)


def _settings(tmp_path: Path, warehouse: Warehouse, **crms: Any) -> Settings:
    return Settings(
        project_dir=tmp_path,
        warehouse_path=warehouse.path,
        landing_dir=tmp_path / "landing",
        ground_truth_dir=tmp_path / "ground_truth",
        crm_standin_dir=tmp_path / "standin",
        **{"crm_portals": (), **crms},
    )


def _api(amo: AmoCrmStandin, method: str, path: str, body: Any) -> None:
    """Write through amoCRM's API, as a user or the CRM sync does: politely, so
    a 429 (the ingest just used the account's second) is waited out."""
    for _ in range(20):
        answer = requests.request(
            method,
            f"{amo.url}/api/v4/{path}",
            json=body,
            headers={"Authorization": f"Bearer {AMO_TOKEN}"},
            timeout=10,
        )
        if answer.status_code != 429:
            break
        time.sleep(float(answer.json().get("retry_after") or 1))
    assert answer.status_code == 200, answer.text


def _patch(amo: AmoCrmStandin, entity: str, changes: list[dict[str, Any]]) -> None:
    _api(amo, "PATCH", entity, changes)


def _create_sync_fields(amo: AmoCrmStandin, entity: str) -> None:
    _api(
        amo,
        "POST",
        f"{entity}/custom_fields",
        [
            {"name": "C360 ID", "type": "text", "code": "C360_ID"},
            {"name": "C360 segment", "type": "text", "code": "C360_SEGMENT"},
        ],
    )


def _query(warehouse: Warehouse, sql: str) -> list[tuple]:
    # dbt-duckdb may still hold the file read-write in this process: a second
    # handle must use the same configuration, so not read_only
    with duckdb.connect(str(warehouse.path)) as con:
        return con.execute(sql).fetchall()


def _row(warehouse: Warehouse, table: str, columns: str, record_id: int) -> tuple:
    [row] = warehouse.rows(
        f"select {columns} from raw_crm.{table} "
        f"where branch = '{BRANCH}' and id = {record_id}"
    )
    return row


def test_an_amocrm_only_company_lands_contacts_and_companies_as_bitrix24_columns(
    amo: AmoCrmStandin, warehouse: Warehouse, tmp_path: Path
) -> None:
    settings = _settings(tmp_path, warehouse, amocrm_accounts=(_account(amo),))

    report = land_source("crm", settings, progress=None)

    assert report.failures == {}
    assert report.landed == {"contacts": CONTACTS, "companies": COMPANIES}
    name, last, second, iin, company, modified, has_phone, has_email = _row(
        warehouse,
        "contacts",
        "name, last_name, second_name, uf_crm_iin, company_id, date_modify,"
        " has_phone, has_email",
        3,
    )
    assert (name, last, second) == ("Иван3", "Петров3", None)
    assert iin == "900501300003"
    assert company == 3 % 7 + 1
    assert modified == datetime.fromtimestamp(BASE + 180, UTC)
    assert (has_phone, has_email) == ("Y", "Y")
    phone, email = _row(warehouse, "contacts", "phone, email", 3)
    assert json.loads(phone) == [{"VALUE": "+7 777 0000003", "VALUE_TYPE": "MOBILE"}]
    # a multitext value without an enum is amoCRM's first one, WORK
    assert json.loads(email) == [{"VALUE": "ivan3@example.kz", "VALUE_TYPE": "WORK"}]
    title, bin_, phone, created = _row(
        warehouse, "companies", "title, uf_crm_bin, phone, date_create", 2
    )
    assert (title, bin_) == ("ТОО «Ромашка-2»", "100440000002")
    assert json.loads(phone) == [{"VALUE": "+7 727 0000002", "VALUE_TYPE": "WORK"}]
    assert created == datetime.fromtimestamp(BASE, UTC)
    # amoCRM's leads are not deals: an amoCRM branch lands none (staging reads
    # a table never landed as empty)
    assert warehouse.rows(
        "select count(*) from information_schema.tables"
        " where table_schema = 'raw_crm' and table_name = 'deals'"
    ) == [(0,)]


def test_a_company_with_a_bitrix24_portal_and_an_amocrm_account_lands_both(
    standin: StandinHandle, amo: AmoCrmStandin, warehouse: Warehouse, tmp_path: Path
) -> None:
    settings = _settings(
        tmp_path,
        warehouse,
        crm_portals=standin.crm_portals(),
        amocrm_accounts=(_account(amo),),
    )

    report = land_source("crm", settings, progress=None)

    assert report.failures == {}
    contacts = dict(
        warehouse.rows("select branch, count(*) from raw_crm.contacts group by 1")
    )
    assert contacts == {**BRANCH_SIZES, BRANCH: CONTACTS}
    deal_branches = warehouse.rows("select distinct branch from raw_crm.deals")
    assert BRANCH not in {branch for (branch,) in deal_branches}


def test_only_new_content_lands_again_and_the_sync_fields_bring_nothing(
    amo: AmoCrmStandin, warehouse: Warehouse
) -> None:
    accounts = (_account(amo),)
    warehouse.load((), accounts=accounts)

    _, again = warehouse.load((), accounts=accounts)
    assert sum(again.landed.values()) == 0

    # what the CRM sync does: its own fields, and nothing else, on every record
    for entity, count in (("contacts", CONTACTS), ("companies", COMPANIES)):
        _create_sync_fields(amo, entity)
        _patch(
            amo,
            entity,
            [
                {
                    "id": record_id,
                    "custom_fields_values": [
                        {
                            "field_code": "C360_ID",
                            "values": [{"value": f"C360-{record_id:06d}"}],
                        },
                        {"field_code": "C360_SEGMENT", "values": [{"value": "vip"}]},
                    ],
                }
                for record_id in range(1, count + 1)
            ],
        )
    _, after_sync = warehouse.load((), accounts=accounts)
    assert sum(after_sync.read.values()) == 0
    assert sum(after_sync.landed.values()) == 0

    _patch(amo, "contacts", [{"id": 5, "first_name": "Пётр"}])
    _, after_edit = warehouse.load((), accounts=accounts)
    assert after_edit.landed == {"contacts": 1}
    name, c360_id = _row(warehouse, "contacts", "name, uf_crm_c360_id", 5)
    # the edited record lands whole, the sync's fields with it
    assert (name, c360_id) == ("Пётр", "C360-000005")
    assert warehouse.rows("select count(*) from raw_crm.contacts")[0][0] == CONTACTS


def test_a_record_that_cannot_be_translated_is_rejected_and_the_rest_land(
    amo: AmoCrmStandin, warehouse: Warehouse
) -> None:
    amo.store.upsert(
        "contacts",
        [
            {
                "id": 99,
                "name": "Без ответственного",
                "responsible_user_id": "boss",
                "created_at": BASE,
                "updated_at": BASE,
                "custom_fields_values": None,
            }
        ],
    )

    _, tally = warehouse.load((), accounts=(_account(amo),))

    assert tally.landed["contacts"] == CONTACTS
    assert tally.rejected == {"contacts": 1}
    assert tally.unbalanced() == {}
    [(reason, raw, where)] = warehouse.rows(
        "select reason, raw, file from raw_crm.rejects"
    )
    assert "responsible_user_id 'boss' is not a whole number" in reason
    assert json.loads(raw)["id"] == 99
    assert where.startswith(amo.url) and AMO_TOKEN not in raw + where


def test_429s_are_waited_out(
    start_amo: Callable[..., AmoCrmStandin], warehouse: Warehouse
) -> None:
    amo = start_amo(
        seed_from=seed_document(600, COMPANIES),
        rate_limit=RateLimit(per_second=2, block_after=0),
    )

    _, tally = warehouse.load(
        (), accounts=(_account(amo),), amocrm_requests_per_second=50
    )

    assert amo.stats()["rate_limited"] > 0
    assert tally.landed == {"contacts": 600, "companies": COMPANIES}


class _AlwaysOverTheLimit:
    """A session to an account whose every answer is 429 with a `retry_after`."""

    def __init__(self) -> None:
        self.requests = 0

    def request(self, method: str, url: str, **_: Any) -> requests.Response:
        self.requests += 1
        refused = requests.Response()
        refused.status_code = 429
        refused._content = b'{"title": "Too Many Requests", "retry_after": 0.01}'
        return refused


def test_an_account_that_keeps_answering_429_is_given_up_on_before_it_is_blocked() -> (
    None
):
    session = _AlwaysOverTheLimit()
    account = AmoCrmAccount(BRANCH, "https://karaganda.amocrm.ru", token=AMO_TOKEN)
    client = AmoCrmClient(
        AmoCrmApi(
            account,
            rate_limit_backoff_seconds=0.01,
            session=session,  # type: ignore[arg-type]
        )
    )

    with pytest.raises(CrmRequestError) as given_up:
        client.get("contacts", {"page": 1}, page=1)

    message = str(given_up.value)
    assert "429" in message and "left for the next run" in message
    assert BRANCH in message and AMO_TOKEN not in message
    # the first try and MAX_RATE_LIMITED more, then no further push at the limit
    assert session.requests == 1 + MAX_RATE_LIMITED


def test_a_blocked_account_stops_with_a_message_saying_so(
    start_amo: Callable[..., AmoCrmStandin], warehouse: Warehouse
) -> None:
    amo = start_amo(
        seed_from=seed_document(600, COMPANIES),
        rate_limit=RateLimit(per_second=1, block_after=1, block_seconds=60),
    )

    with pytest.raises(Exception) as failed:
        warehouse.load((), accounts=(_account(amo),), amocrm_requests_per_second=50)

    [blocked] = [e for e in causes(failed.value) if isinstance(e, CrmBlockedError)]
    message = str(blocked)
    assert "403" in message and "blocked" in message and BRANCH in message
    assert "C360_AMOCRM_RATE" in message
    # not retried: a blocked account answers 403 to everything (one per entity
    # being read when it came)
    assert 1 <= amo.stats()["blocked"] <= 2


def test_a_wrong_token_names_the_setting_to_fix_and_not_the_token(
    amo: AmoCrmStandin, warehouse: Warehouse
) -> None:
    wrong = "not-the-right-token-42"

    with pytest.raises(Exception) as failed:
        warehouse.load((), accounts=(_account(amo, token=wrong),))

    [refused] = [e for e in causes(failed.value) if isinstance(e, CrmAuthError)]
    message = str(refused)
    assert f"C360_AMOCRM_TOKEN_{BRANCH.upper()}" in message
    assert "C360_AMOCRM_TOKEN " in message and amo.url in message
    assert wrong not in message


def test_staging_reads_amocrm_phones_emails_and_iins(
    amo: AmoCrmStandin, warehouse: Warehouse, tmp_path: Path
) -> None:
    warehouse.load((), accounts=(_account(amo),))

    result = run_dbt(
        ["run", "--select", "stg_crm__contacts", "stg_crm__companies"],
        warehouse.path,
        tmp_path / "dbt_target",
        branches=(BRANCH,),
    )

    assert build_failures(result) == []
    rows = _query(
        warehouse,
        "select phones_raw, phone_e164, email, iin, iin_is_valid, company_id"
        " from staging.stg_crm__contacts where contact_id = 3",
    )
    assert rows == [
        (["+7 777 0000003"], "+77770000003", "ivan3@example.kz", "900501300003")
        + rows[0][4:5]
        + (4,)
    ]
    [(company_phone,)] = _query(
        warehouse,
        "select phone_e164 from staging.stg_crm__companies where company_id = 2",
    )
    assert company_phone == "+77270000002"

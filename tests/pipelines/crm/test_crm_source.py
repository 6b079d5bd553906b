"""The CRM source lands every branch's Bitrix24 records, incrementally and exactly."""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Callable
from datetime import date

import pytest
from crm_testkit import BRANCH_SIZES, TOKEN, Warehouse, causes

from c360.main import main
from customer360.settings import CrmPortal, Settings, SettingsError
from demo.standins.bitrix24 import RateLimit, StandinHandle
from demo.standins.bitrix24.entities import CONTACT, DEAL
from demo.standins.bitrix24.samples import (
    contact,
    deal,
    seed_document,
    write_seed,
)
from pipelines.common.contracts import SchemaDriftError
from pipelines.common.rejects import REJECTS_COLUMNS
from pipelines.crm import CrmAuthError, CrmRequestError, crm_source
from pipelines.ingest import (
    IngestReport,
    PartlyLandedError,
    UnbalancedTallyError,
    land_source,
)


def _standin_counts(standin: StandinHandle, entity) -> int:
    return sum(standin.portal(b).store.count(entity) for b in BRANCH_SIZES)


def test_three_branches_land_in_one_table_each_and_reload_changes_nothing(
    standin: StandinHandle, warehouse: Warehouse
) -> None:
    messages: list[str] = []
    _, tally = warehouse.load(standin.crm_portals(), progress=messages.append)
    counts = dict(
        warehouse.rows("select branch, count(*) from raw_crm.contacts group by 1")
    )
    assert counts == BRANCH_SIZES
    for table, entity in (("contacts", CONTACT), ("deals", DEAL)):
        landed = warehouse.rows(f"select count(*) from raw_crm.{table}")[0][0]
        assert landed == _standin_counts(standin, entity) == tally.landed[table]
    assert "crm/almaty contacts: 130 / 130" in messages
    assert not tally.unbalanced() and tally.total_rejected == 0
    # typed on landing
    row = warehouse.rows(
        "select id, opportunity, date_modify from raw_crm.deals "
        "where branch = 'astana' and id = 7"
    )
    assert row[0][0] == 7 and str(row[0][1]) == "7000.00"
    assert row[0][2].isoformat() == "2025-03-01T07:07:00+00:00"
    phone = warehouse.rows(
        "select phone->>'$[0].VALUE', birthdate from raw_crm.contacts "
        "where branch = 'shymkent' and id = 3"
    )
    assert phone == [("+7 777 0000003", date(1990, 5, 1))]
    before = {t: warehouse.table(t) for t in ("contacts", "companies", "deals")}

    # fetched through batch: almaty's 130 contacts are 3 pages, 1 call + 1 batch
    assert standin.portal("almaty").stats()["batch_commands"] >= 2

    _, again = warehouse.load(standin.crm_portals())
    assert again.total_read == 0
    assert {t: warehouse.table(t) for t in before} == before


def test_next_load_picks_up_exactly_the_updated_and_added_records(
    standin: StandinHandle, warehouse: Warehouse
) -> None:
    warehouse.load(standin.crm_portals())
    almaty, astana = standin.portal("almaty"), standin.portal("astana")
    almaty.store.update(CONTACT, 5, {"NAME": "Пётр", "UF_CRM_C360_SEGMENT": "vip"})
    new_id = astana.store.add(CONTACT, {"NAME": "Айгуль", "LAST_NAME": "Омарова"})
    _, tally = warehouse.load(standin.crm_portals())
    assert tally.read["contacts"] == 2 and tally.landed["contacts"] == 2
    assert tally.read["deals"] == 0 and tally.read["companies"] == 0
    assert warehouse.rows(
        "select name, uf_crm_c360_segment from raw_crm.contacts "
        "where branch = 'almaty' and id = 5"
    ) == [("Пётр", "vip")]
    assert warehouse.rows(
        f"select name from raw_crm.contacts where branch = 'astana' and id = {new_id}"
    ) == [("Айгуль",)]
    total = warehouse.rows("select count(*) from raw_crm.contacts")[0][0]
    assert total == sum(BRANCH_SIZES.values()) + 1
    # a change in the same second as the newest one landed is not lost either
    almaty.store.update(CONTACT, 6, {"NAME": "Сначала"})
    _, tally = warehouse.load(standin.crm_portals())
    assert tally.read["contacts"] == 1
    same_second = almaty.store.get(CONTACT, 6)["DATE_MODIFY"]
    almaty.store.upsert(
        CONTACT, [contact(7, NAME="В ту же секунду", DATE_MODIFY=same_second)]
    )
    _, tally = warehouse.load(standin.crm_portals())
    assert tally.read["contacts"] == 1
    assert warehouse.rows(
        "select id, name from raw_crm.contacts where branch = 'almaty' and id in (6, 7)"
    ) == [(6, "Сначала"), (7, "В ту же секунду")]


def test_an_edit_made_while_a_load_runs_is_picked_up_by_the_next_load(
    standin: StandinHandle, warehouse: Warehouse
) -> None:
    almaty = standin.portal("almaty")
    portals = standin.crm_portals()[:1]
    # page 0 (contacts 1-50) answers at once, the batch with the rest comes late;
    # meanwhile contact 3, already read, is edited, and then contact 120, not yet
    # read, is edited "later" (a stamp far ahead keeps the order certain)
    almaty.inject("ok", "slow:2.0")
    loader = threading.Thread(
        target=warehouse.load, args=(portals,), kwargs={"resources": ("contacts",)}
    )
    loader.start()
    # edit only once page 0 is answered and the late batch is being held: a fixed
    # sleep raced a loaded machine, where page 0 could come after the edit
    deadline = time.monotonic() + 30
    while not almaty.faults.injected.get("slow"):
        assert time.monotonic() < deadline, "the load never asked for the batch"
        time.sleep(0.01)
    almaty.store.update(CONTACT, 3, {"NAME": "Во время загрузки"})
    almaty.store.upsert(CONTACT, [contact(120, minutes=4_000_000, NAME="Позже")])
    loader.join()
    assert warehouse.rows(
        "select name from raw_crm.contacts where branch = 'almaty' and id = 120"
    ) == [("Позже",)]
    _, tally = warehouse.load(portals, resources=("contacts",))
    assert warehouse.rows(
        "select name from raw_crm.contacts where branch = 'almaty' and id = 3"
    ) == [("Во время загрузки",)]
    # contact 120 is read again too, but its content is the landed one's: only
    # contact 3 counts, and lands
    assert tally.read["contacts"] == tally.landed["contacts"] == 1


def test_rate_limit_503s_are_waited_out(
    start: Callable[..., StandinHandle], warehouse: Warehouse
) -> None:
    # Bitrix24's own drain rate, with a tiny bucket so that the load meets it
    standin = start(rate_limit=RateLimit(capacity=3, drain_per_second=2.0))
    _, tally = warehouse.load(standin.crm_portals(), rate_limit_wait=0.25)
    refused = sum(standin.portal(b).stats()["rate_limited"] for b in BRANCH_SIZES)
    assert refused > 0
    assert tally.landed["contacts"] == sum(BRANCH_SIZES.values())


def test_gateway_errors_drops_and_cut_json_are_retried(
    standin: StandinHandle, warehouse: Warehouse
) -> None:
    standin.portal("almaty").inject(
        "http_500", "drop", "ok", "http_502", "malformed", "http_503", "slow:0.2"
    )
    standin.portal("shymkent").inject("drop", "drop")
    _, tally = warehouse.load(standin.crm_portals())
    assert tally.landed["contacts"] == sum(BRANCH_SIZES.values())
    assert warehouse.rows("select count(*) from raw_crm.contacts")[0][0] == 200
    injected = standin.portal("almaty").stats()["faults"]
    assert injected == {
        "http_500": 1,
        "drop": 1,
        "http_502": 1,
        "malformed": 1,
        "http_503": 1,
        "slow": 1,
    }


def test_a_portal_that_keeps_failing_names_portal_method_and_page(
    standin: StandinHandle, warehouse: Warehouse, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    standin.portal("astana").inject(*["http_502"] * 4)
    with pytest.raises(Exception) as caught:
        warehouse.load(standin.crm_portals(), max_retries=3)
    error = next(e for e in causes(caught.value) if isinstance(e, CrmRequestError))
    message = str(error)
    assert "astana" in message and "crm." in message and "start=0" in message
    assert "HTTP 502" in message
    assert all(TOKEN not in str(e) for e in causes(caught.value))
    assert "retry 3/3" in caplog.text  # retried, and said so
    assert TOKEN not in caplog.text  # not even urllib3's debug lines


def test_wrong_token_is_a_clear_auth_error_without_the_token(
    standin: StandinHandle, warehouse: Warehouse
) -> None:
    wrong = tuple(
        CrmPortal(p.branch, p.base_url, p.user_id, token="wrong-token-0000")
        for p in standin.crm_portals()
    )
    with pytest.raises(Exception) as caught:
        warehouse.load(wrong)
    error = next(e for e in causes(caught.value) if isinstance(e, CrmAuthError))
    message = str(error)
    assert "almaty" in message and "C360_CRM_WEBHOOK_TOKEN" in message
    assert all("wrong-token-0000" not in str(e) for e in causes(caught.value))
    # refused at once, not retried
    assert standin.portal("almaty").stats()["auth_failures"] == 1


def test_a_new_field_is_landed_as_text_and_reported_as_a_new_column(
    standin: StandinHandle, warehouse: Warehouse, tmp_path
) -> None:
    settings = Settings(
        project_dir=tmp_path,
        warehouse_path=warehouse.path,
        landing_dir=tmp_path / "landing",
        ground_truth_dir=tmp_path / "ground_truth",
        crm_portals=standin.crm_portals(),
        crm_standin_dir=tmp_path / "standin",
    )
    first = land_source("crm", settings, progress=None)
    assert first.new_columns == {}
    # a custom field a manager added on one portal, holding a list on another record
    standin.portal("astana").store.update(CONTACT, 3, {"UF_CRM_LOYALTY": "gold"})
    standin.portal("almaty").store.update(
        CONTACT, 4, {"UF_CRM_LOYALTY": ["gold", "silver"]}
    )

    second = land_source("crm", settings, progress=None)

    assert second.new_columns == {"contacts": ["uf_crm_loyalty"]}
    summary = IngestReport(sources=[second]).format()
    assert "crm contacts: new column(s) landed: uf_crm_loyalty" in summary
    assert warehouse.rows(
        "select branch, id, uf_crm_loyalty from raw_crm.contacts "
        "where uf_crm_loyalty <> '' order by branch"
    ) == [("almaty", 4, '["gold", "silver"]'), ("astana", 3, "gold")]
    (column_type,) = warehouse.rows(
        "select data_type from information_schema.columns where table_schema = "
        "'raw_crm' and table_name = 'contacts' and column_name = 'uf_crm_loyalty'"
    )[0]
    assert column_type == "VARCHAR"
    # reported once: the next load lands into the column it made
    standin.portal("astana").store.update(CONTACT, 5, {"UF_CRM_LOYALTY": "silver"})
    third = land_source("crm", settings, progress=None)
    assert third.new_columns == {} and third.landed["contacts"] == 1


def test_documented_address_fields_land_in_their_columns_sent_or_not(
    start: Callable[..., StandinHandle], warehouse: Warehouse, tmp_path
) -> None:
    landing = tmp_path / "addresses"
    document = seed_document("almaty", contacts=2, companies=1)
    document["contacts"][0].update(
        ADDRESS_2="кв. 12",
        ADDRESS_POSTAL_CODE="050000",
        ADDRESS_REGION="Медеуский район",
        ADDRESS_PROVINCE="Алматинская область",
        ADDRESS_COUNTRY="Казахстан",
        ADDRESS_COUNTRY_CODE="KZ",
    )
    document["companies"][0].update(ADDRESS_POSTAL_CODE="100008")
    write_seed(landing, "almaty", document)
    standin = start(seed_from=landing)

    _, tally = warehouse.load(standin.crm_portals()[:1])

    assert warehouse.rows(
        "select address_2, address_postal_code, address_region, address_province, "
        "address_country from raw_crm.contacts order by id"
    ) == [
        ("кв. 12", "050000", "Медеуский район", "Алматинская область", "Казахстан"),
        (None, None, None, None, None),
    ]
    assert warehouse.rows(
        "select address_postal_code, address_2 from raw_crm.companies"
    ) == [("100008", None)]
    # documented fields are the contract, not news; the country code is beyond it
    assert tally.extra_fields == {"contacts": {"address_country_code"}}


def test_a_field_the_models_read_that_disappears_stops_the_load(
    start: Callable[..., StandinHandle], warehouse: Warehouse, tmp_path
) -> None:
    landing = tmp_path / "missing"
    document = seed_document("almaty", contacts=3)
    del document["contacts"][1]["POST"]
    write_seed(landing, "almaty", document)
    standin = start(seed_from=landing)
    with pytest.raises(Exception) as caught:
        warehouse.load(standin.crm_portals()[:1])
    drift = next(e for e in causes(caught.value) if isinstance(e, SchemaDriftError))
    assert (drift.table, drift.missing) == ("contacts", ["POST"])
    assert "missing column(s) 'POST'" in str(drift)
    assert "raw_crm" not in {
        s
        for (s,) in warehouse.rows(
            "select table_schema from information_schema.tables "
            "where table_name = 'contacts'"
        )
    }


def test_a_field_the_models_read_that_changes_type_stops_the_load(
    start: Callable[..., StandinHandle], warehouse: Warehouse, tmp_path
) -> None:
    landing = tmp_path / "changed"
    document = seed_document("almaty", contacts=3)
    # a portal whose PHONE is no longer Bitrix24's list of values
    document["contacts"][2]["PHONE"] = "+7 777 000 00 03"
    document["contacts"][1]["COMPANY_ID"] = ["1", "2"]
    write_seed(landing, "almaty", document)
    standin = start(seed_from=landing)
    with pytest.raises(Exception) as caught:
        warehouse.load(standin.crm_portals()[:1])
    drift = next(e for e in causes(caught.value) if isinstance(e, SchemaDriftError))
    assert drift.table == "contacts"
    assert drift.changed == {"COMPANY_ID": "a single value, now list"}
    assert "changed type: 'COMPANY_ID' (a single value, now list)" in str(drift)


def test_bad_records_become_rejects_and_read_equals_landed_plus_rejected(
    start: Callable[..., StandinHandle], warehouse: Warehouse, tmp_path
) -> None:
    landing = tmp_path / "bad"
    document = seed_document("almaty", contacts=60, deals=4)
    document["contacts"][54] = contact(55, BIRTHDATE="1990-02-31T00:00:00+05:00")
    document["deals"][1] = deal(2, OPPORTUNITY="сто тысяч")
    document["deals"][2] = deal(3, CONTACT_ID="abc")
    write_seed(landing, "almaty", document)
    standin = start(seed_from=landing)
    _, tally = warehouse.load(standin.crm_portals()[:1])
    assert not tally.unbalanced()
    assert (tally.read["contacts"], tally.landed["contacts"]) == (60, 59)
    assert (tally.read["deals"], tally.rejected["deals"]) == (4, 2)
    rejects = warehouse.rows(
        "select source, source_table, file, page, reason, raw from raw_crm.rejects "
        "order by source_table, page, reason"
    )
    assert len(rejects) == 3
    reject_columns = {
        c
        for (c,) in warehouse.rows(
            "select column_name from information_schema.columns "
            "where table_schema = 'raw_crm' and table_name = 'rejects'"
        )
        if not c.startswith("_dlt")
    }
    assert reject_columns == set(REJECTS_COLUMNS)
    source, table, file, page, reason, raw = rejects[0]
    assert (source, table, page) == ("crm", "contacts", 50)
    assert "1990-02-31" in reason and "BIRTHDATE" in reason
    assert file.endswith("/rest/1/***/") and TOKEN not in file
    assert '"ID": "55"' in raw
    assert {r[4].split(" ")[0] for r in rejects[1:]} == {"OPPORTUNITY", "CONTACT_ID"}
    # loading again adds no rows, rejected or landed
    warehouse.load(standin.crm_portals()[:1])
    assert warehouse.rows("select count(*) from raw_crm.rejects")[0][0] == 3


def test_a_portal_without_a_token_is_a_settings_error_before_loading(
    standin: StandinHandle, warehouse: Warehouse, tmp_path
) -> None:
    portal = standin.crm_portals()[0]
    tokenless = CrmPortal(portal.branch, portal.base_url, portal.user_id, token=None)
    settings = Settings(
        project_dir=tmp_path,
        warehouse_path=warehouse.path,
        landing_dir=tmp_path / "landing",
        ground_truth_dir=tmp_path / "ground_truth",
        crm_portals=(tokenless,),
        crm_standin_dir=tmp_path / "standin",
    )
    with pytest.raises(SettingsError, match="C360_CRM_WEBHOOK_TOKEN_ALMATY"):
        land_source("crm", settings, progress=None)
    assert standin.portal("almaty").stats()["requests"] == 0


def test_the_source_alone_without_a_token_names_the_dlt_secret_before_loading(
    standin: StandinHandle,
) -> None:
    # explicit Nones: a token in the developer's own .dlt/secrets.toml must not count
    with pytest.raises(SettingsError, match=r"sources\.crm\.webhook_token"):
        crm_source(
            portals={"almaty": standin.urls["almaty"]},
            webhook_token=None,
            branch_tokens=None,
        )
    assert standin.portal("almaty").stats()["requests"] == 0


def test_an_unreachable_portal_error_hides_even_a_one_letter_token_but_keeps_words(
    warehouse: Warehouse,
) -> None:
    """The token goes from the URL path; masking must not mangle the rest."""
    unreachable = (CrmPortal("almaty", "http://127.0.0.1:9", 1, token="e"),)
    with pytest.raises(Exception) as caught:
        warehouse.load(unreachable, max_retries=1)
    error = next(e for e in causes(caught.value) if isinstance(e, CrmRequestError))
    message = str(error)
    assert "/rest/1/***/" in message and "/rest/1/e/" not in message
    assert "exceeded" in message or "refused" in message


def _settings(tmp_path, warehouse: Warehouse, portals: tuple[CrmPortal, ...]):
    return Settings(
        project_dir=tmp_path,
        warehouse_path=warehouse.path,
        landing_dir=tmp_path / "landing",
        ground_truth_dir=tmp_path / "ground_truth",
        crm_portals=portals,
        crm_standin_dir=tmp_path / "standin",
    )


def test_a_record_lost_on_the_way_to_the_table_fails_naming_source_and_table(
    standin: StandinHandle, warehouse: Warehouse, tmp_path
) -> None:
    settings = _settings(tmp_path, warehouse, standin.crm_portals())

    def run_losing_one_contact(pipeline, source):
        source.resources["contacts"].add_filter(
            lambda row: (row.get("branch"), row.get("id")) != ("astana", 5)
        )
        return pipeline.run(source)

    with pytest.raises(UnbalancedTallyError) as error:
        land_source("crm", settings, progress=None, run=run_losing_one_contact)

    message = str(error.value)
    assert "source 'crm'" in message and "raw_crm.contacts" in message
    assert "missing 1, e.g. branch=astana id=5" in message


def _port_nobody_listens_on() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _contacts_by_branch(warehouse: Warehouse) -> dict[str, int]:
    return dict(
        warehouse.rows("select branch, count(*) from raw_crm.contacts group by 1")
    )


@pytest.fixture
def quick_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """The runner's CRM client retries as dlt's config says: once, without waiting."""
    monkeypatch.setenv("SOURCES__CRM__MAX_RETRIES", "1")
    monkeypatch.setenv("SOURCES__CRM__BACKOFF_SECONDS", "0.01")


def test_a_portal_that_is_down_does_not_keep_the_other_branches_from_landing(
    standin: StandinHandle,
    warehouse: Warehouse,
    tmp_path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    quick_retries: None,
) -> None:
    down = f"http://127.0.0.1:{_port_nobody_listens_on()}"
    urls = {**standin.urls, "astana": down}
    monkeypatch.setenv("C360_PROJECT_DIR", str(tmp_path))
    monkeypatch.setenv("C360_WAREHOUSE", str(warehouse.path))
    monkeypatch.setenv("C360_LANDING_DIR", str(tmp_path / "landing"))
    monkeypatch.setenv("C360_CRM_WEBHOOK_TOKEN", TOKEN)
    monkeypatch.setenv(
        "C360_CRM_PORTALS", ",".join(f"{b}={u}" for b, u in urls.items())
    )

    assert main(["ingest", "--source", "crm"]) == 1

    captured = capsys.readouterr()
    assert _contacts_by_branch(warehouse) == {"almaty": 130, "shymkent": 10}
    failure = next(line for line in captured.err.splitlines() if "crm failed" in line)
    assert "portal astana" in failure and down in failure
    assert "not landed from it this run: contacts, companies, deals" in failure
    assert "almaty" not in failure and TOKEN not in captured.out + captured.err
    assert "FAILED crm" in captured.out  # the summary says so too

    # the portal is back: its records land, nobody else's twice
    monkeypatch.setenv(
        "C360_CRM_PORTALS", ",".join(f"{b}={u}" for b, u in standin.urls.items())
    )
    assert main(["ingest", "--source", "crm"]) == 0
    assert _contacts_by_branch(warehouse) == BRANCH_SIZES
    deals = warehouse.rows("select count(*) from raw_crm.deals")[0][0]
    assert deals == _standin_counts(standin, DEAL)


def test_a_portal_failing_every_request_is_named_and_read_again_next_run(
    standin: StandinHandle, warehouse: Warehouse, tmp_path, quick_retries: None
) -> None:
    settings = _settings(tmp_path, warehouse, standin.crm_portals())
    astana = standin.portal("astana")
    astana.inject(*["http_500"] * 1_000)

    with pytest.raises(PartlyLandedError) as failed:
        land_source("crm", settings, progress=None)

    report = failed.value.report
    assert list(report.failures) == ["portal astana"]
    assert "HTTP 500" in report.failures["portal astana"]
    assert report.landed["contacts"] == 140
    assert _contacts_by_branch(warehouse) == {"almaty": 130, "shymkent": 10}

    astana.faults.clear()
    again = land_source("crm", settings, progress=None)
    assert again.failures == {}
    assert again.landed["contacts"] == 60  # astana's, read from its start
    assert _contacts_by_branch(warehouse) == BRANCH_SIZES

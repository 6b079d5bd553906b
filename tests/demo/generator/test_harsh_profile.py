"""`--profile harsh`: the same world, its person and organisation records corrupted
at the documented rates, still in the landing formats and fully in the ground truth."""

from __future__ import annotations

import hashlib
import math
import re
from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from demo.generator import corruption, generate
from demo.generator import harsh as rates
from tests.demo.generator import test_ground_truth as truth_checks
from tests.demo.generator import test_increments as increment_checks
from tests.demo.generator import test_landing_formats as format_checks
from tests.demo.generator.conftest import DataSet

BRANCHES = ("almaty", "astana", "shymkent")
# sha256 of every file of generate(..., 300, seed=11, increments=1) as the generator
# wrote it before profiles existed, with the address parts, Индекс and ДатаРождения
# the landing formats gained since. A change to the landing formats that is meant
# to change the default output updates this; nothing else may.
DEFAULT_300_SEED_11_DAY_1 = (
    "ddffc738c88f297d3ed5813ddc0506a697eacacbaf799bd79bc6a8bc51d45b8b"
)


def _digest(root: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        if path.is_file():
            digest.update(str(path.relative_to(root)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def _by_code(data: DataSet, table: str) -> dict[str, dict[str, str]]:
    return {row["Код"]: row for row in data.onec(table)}


def _ru_date(text: str) -> date:
    day, month, year = map(int, text.split("."))
    return date(year, month, day)


def test_the_default_profile_writes_the_same_bytes_as_before(tmp_path: Path) -> None:
    generate(tmp_path / "a" / "landing", tmp_path / "a" / "truth", 300, 11, 1)
    generate(
        tmp_path / "b" / "landing",
        tmp_path / "b" / "truth",
        300,
        11,
        1,
        profile="default",
    )
    assert _digest(tmp_path / "a") == DEFAULT_300_SEED_11_DAY_1
    assert _digest(tmp_path / "b") == DEFAULT_300_SEED_11_DAY_1


def test_the_same_seed_and_profile_give_the_same_bytes(tmp_path: Path) -> None:
    for name in ("a", "b"):
        generate(
            tmp_path / name / "landing",
            tmp_path / name / "truth",
            300,
            11,
            1,
            profile="harsh",
        )
    assert _digest(tmp_path / "a") == _digest(tmp_path / "b")
    assert _digest(tmp_path / "a") != DEFAULT_300_SEED_11_DAY_1


def test_an_unknown_profile_is_refused_before_anything_is_replaced(
    tmp_path: Path,
) -> None:
    landing = tmp_path / "landing"
    generate(landing, tmp_path / "truth", 50, seed=1)
    before = _digest(tmp_path)
    with pytest.raises(ValueError, match="profile must be one of default, harsh"):
        generate(landing, tmp_path / "truth", 50, seed=1, profile="brutal")
    assert _digest(tmp_path) == before


def test_the_world_is_the_default_profiles(base: DataSet, harsh: DataSet) -> None:
    """Customers, documents, deals, calls and tickets are the same; only what
    people typed about persons and organisations differs."""
    assert (base.truth / "entities.csv").read_bytes() == (
        harsh.truth / "entities.csv"
    ).read_bytes()
    for table in ("invoices", "payments", "shipments", "returns", "discounts"):
        path = Path("onec") / f"{table}.csv"
        assert (base.landing / path).read_bytes() == (harsh.landing / path).read_bytes()
    for table in ("counterparties", "contact_persons"):
        assert _by_code(base, table).keys() == _by_code(harsh, table).keys()
    deal_fields = ("TITLE", "STAGE_ID", "OPPORTUNITY", "BEGINDATE", "DATE_MODIFY")
    for branch in BRANCHES:
        base_deals, harsh_deals = base.crm(branch)["deals"], harsh.crm(branch)["deals"]
        assert [[d[f] for f in deal_fields] for d in base_deals] == [
            [d[f] for f in deal_fields] for d in harsh_deals
        ]
    base_calls, harsh_calls = base.calls(), harsh.calls()
    assert [{**c, "clid": ""} for c in base_calls] == [
        {**c, "clid": ""} for c in harsh_calls
    ]
    assert (
        sum(
            b["clid"] != h["clid"] for b, h in zip(base_calls, harsh_calls, strict=True)
        )
        > 20
    )
    assert [{**t, "requester": None} for t in base.tickets()] == [
        {**t, "requester": None} for t in harsh.tickets()
    ]


def test_every_harsh_rate_is_reported_and_measured_close_to_documented(
    harsh: DataSet,
) -> None:
    reported = {rate.name: rate for rate in harsh.report.mess_rates}
    for name, documented, _ in corruption.MEASURED_RATES:
        rate = reported[name]
        assert rate.documented == documented
        assert rate.out_of >= 300, f"{name}: too few chances to measure"
        # four standard errors, or 15% of the rate for the large samples
        spread = math.sqrt(documented * (1 - documented) / rate.out_of)
        assert abs(rate.measured - documented) < max(4 * spread, 0.15 * documented), (
            rate
        )
    assert "profile harsh" in harsh.report.format()


def test_harsh_files_keep_every_landing_format(harsh: DataSet) -> None:
    for branch in BRANCHES:
        format_checks.test_every_crm_record_has_every_contract_field_as_strings(
            harsh, branch
        )
    format_checks.test_crm_deals_carry_stage_amount_currency_and_some_invoice_links(
        harsh
    )
    for table in format_checks.ONEC_HEADERS:
        format_checks.test_onec_files_are_windows_1251_with_exact_headers_and_crlf(
            harsh, table
        )
    format_checks.test_onec_amounts_use_a_decimal_comma_and_dates_are_dd_mm_yyyy(harsh)
    format_checks.test_cdr_files_have_the_asterisk_header_and_unique_ids(harsh)
    format_checks.test_ticket_exports_repeat_some_tickets_with_a_newer_updated_at(harsh)


def test_the_ground_truth_covers_every_harsh_record(harsh: DataSet) -> None:
    truth_checks.test_every_landed_record_appears_exactly_once_in_source_records(harsh)
    truth_checks.test_source_records_point_at_known_entities(harsh)


def test_harsh_increments_change_only_what_a_day_changes(
    harsh: DataSet, harsh_one_day_later: DataSet
) -> None:
    """Each record is corrupted from its own stream: a day's edits and additions
    leave every other record as it was."""
    increment_checks.test_crm_changes_and_additions_carry_the_new_day(
        harsh, harsh_one_day_later
    )
    increment_checks.test_onec_changes_move_modified_at_forward(
        harsh, harsh_one_day_later
    )
    increment_checks.test_calls_and_tickets_are_appended_in_new_files(
        harsh, harsh_one_day_later
    )


def test_crm_portals_hold_clusters_of_up_to_ten_records_of_one_customer(
    base: DataSet, harsh: DataSet
) -> None:
    def clusters(data: DataSet) -> Counter:
        return Counter(
            (
                row["source_record_id"].split(":")[0],
                row["source_table"],
                row["entity_id"],
            )
            for row in data.source_records()
            if row["source_table"] in ("contacts", "companies")
        )

    before, after = clusters(base), clusters(harsh)
    assert before.keys() == after.keys()
    assert max(after.values()) <= 2 + rates.MAX_EXTRA_DUPLICATES
    assert sum(size >= 8 for size in after.values()) > 10
    grown = sum(after[key] > before[key] for key in before) / len(before)
    assert abs(grown - rates.CRM_EXTRA_DUPLICATE_RATE) < 0.02
    contacts = sum(len(harsh.crm(b)["contacts"]) for b in BRANCHES)
    assert contacts > 1.25 * sum(len(base.crm(b)["contacts"]) for b in BRANCHES)


def test_birth_dates_are_real_dates_mistyped_swapped_or_left_out(
    base: DataSet, harsh: DataSet
) -> None:
    """Measured from the files: 1C contact persons' dates against the default's."""
    before = _by_code(base, "contact_persons")
    filled = [
        (_ru_date(row["ДатаРождения"]), after["ДатаРождения"])
        for code, after in _by_code(harsh, "contact_persons").items()
        if (row := before[code])["ДатаРождения"]
    ]
    left_out = sum(not text for _, text in filled) / len(filled)
    assert abs(left_out - rates.BIRTH_DATE_MISSING_RATE) < 0.03
    kept = [(true, _ru_date(text)) for true, text in filled if text]
    swapped = sum(
        typed == date(true.year, true.day, true.month)
        for true, typed in kept
        if true.day <= 12 and true.day != true.month
    )
    swappable = sum(true.day <= 12 and true.day != true.month for true, _ in kept)
    assert abs(swapped / swappable - rates.BIRTH_DATE_DAY_MONTH_SWAPPED_RATE) < 0.025
    year_off = sum(
        abs(typed.year - true.year) == 1 and typed.month == true.month
        for true, typed in kept
    )
    assert year_off > 0.5 * rates.BIRTH_DATE_YEAR_OFF_RATE * len(kept)
    changed = sum(typed != true for true, typed in kept) / len(kept)
    documented = (
        rates.BIRTH_DATE_DIGIT_TYPO_RATE
        + rates.BIRTH_DATE_YEAR_OFF_RATE
        + rates.BIRTH_DATE_DAY_MONTH_SWAPPED_RATE * swappable / len(kept)
    )
    assert abs(changed - documented) < 0.03
    crm_dates = [
        record["BIRTHDATE"]
        for branch in BRANCHES
        for record in harsh.crm(branch)["contacts"]
        if record["BIRTHDATE"]
    ]
    for text in crm_dates:
        date.fromisoformat(text[:10])  # raises for a day that does not exist


def test_1c_names_come_swapped_and_short_of_a_word(
    base: DataSet, harsh: DataSet
) -> None:
    before = _by_code(base, "contact_persons")
    pairs = [
        (before[code]["ФИО"].split(" "), row["ФИО"].split(" "))
        for code, row in _by_code(harsh, "contact_persons").items()
    ]
    swapped = sum(
        len(true) >= 2 and typed[:2] == [true[1], true[0]] for true, typed in pairs
    )
    share = swapped / len(pairs)
    assert (
        0.3 * rates.NAME_PARTS_SWAPPED_RATE
        < share
        < 1.3 * rates.NAME_PARTS_SWAPPED_RATE
    )
    shorter = sum(len(typed) < len(true) for true, typed in pairs) / len(pairs)
    assert abs(shorter - rates.NAME_PART_MISSING_RATE) < 0.02
    retyped = sum(typed != true for true, typed in pairs) / len(pairs)
    assert retyped > rates.SURNAME_MODIFIED_RATE + rates.FIRST_NAME_MODIFIED_RATE


def test_phones_come_with_one_digit_wrong_or_two_swapped(
    base: DataSet, harsh: DataSet
) -> None:
    before = _by_code(base, "contact_persons")
    numbers = wrong = 0
    for code, row in _by_code(harsh, "contact_persons").items():
        true_numbers, typed_numbers = before[code]["Телефон"], row["Телефон"]
        if not true_numbers or not typed_numbers:
            continue
        for true, typed in zip(
            true_numbers.split(", "), typed_numbers.split(", "), strict=True
        ):
            numbers += 1
            if typed == true:
                continue
            wrong += 1
            assert re.sub(r"\d", "#", typed) == re.sub(r"\d", "#", true)
            differing = [
                i for i, (a, b) in enumerate(zip(true, typed, strict=True)) if a != b
            ]
            assert len(differing) in (1, 2), (true, typed)
            subscriber = [i for i, char in enumerate(true) if char.isdigit()][-7:]
            assert set(differing) <= set(subscriber), (true, typed)
    assert abs(wrong / numbers - rates.PHONE_TYPO_RATE) < 0.02


def test_addresses_cities_and_titles_are_mistyped_restyled_or_cut(
    base: DataSet, harsh: DataSet
) -> None:
    before = _by_code(base, "counterparties")
    after = _by_code(harsh, "counterparties")
    addresses = [(before[code]["Адрес"], row["Адрес"]) for code, row in after.items()]
    assert any("улица" in typed for _, typed in addresses)
    assert any("дом" in typed for _, typed in addresses)
    houses = [
        (re.search(r"д\. (\d+)", true).group(1), typed)
        for true, typed in addresses
        if typed
    ]
    assert any(house not in typed for house, typed in houses)
    changed = sum(true != typed for true, typed in addresses) / len(addresses)
    assert changed > rates.ADDRESS_TYPO_RATE + rates.ADDRESS_RESTYLED_RATE
    cities = Counter(row["Город"] for row in after.values())
    assert cities["Алма-Ата"] + cities["Алмата"] + cities["Almaty"] > 0
    assert cities[""] > 0
    titles = [
        (before[code]["Наименование"], row["Наименование"])
        for code, row in after.items()
        if row["ВидКонтрагента"] != "Физическое лицо"
    ]
    retitled = sum(true != typed for true, typed in titles) / len(titles)
    assert abs(retitled - rates.TITLE_MODIFIED_RATE - rates.TITLE_WORD_MISSING_RATE) < (
        0.04
    )


def test_names_on_calls_and_tickets_are_corrupted_too(
    base: DataSet, harsh: DataSet
) -> None:
    named = [
        (b["clid"], h["clid"])
        for b, h in zip(base.calls(), harsh.calls(), strict=True)
        if b["clid"].startswith('"') and b["dcontext"] == "from-trunk"
    ]
    assert sum(b != h for b, h in named) / len(named) > 0.2
    requesters = [
        (b["requester"], h["requester"])
        for b, h in zip(base.tickets(), harsh.tickets(), strict=True)
    ]
    assert any(b["name"] != h["name"] for b, h in requesters)
    assert any(b["email"] and not h["email"] for b, h in requesters)
    assert any(
        b["phone"] and h["phone"] and b["phone"] != h["phone"] for b, h in requesters
    )

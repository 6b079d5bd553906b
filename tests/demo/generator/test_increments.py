"""K days after the base: all earlier records still there, a few changed, some added."""

from __future__ import annotations

import csv
from pathlib import Path

from tests.demo.generator.conftest import DataSet

BRANCHES = ("almaty", "astana", "shymkent")
ONEC_KEYS = {
    "counterparties": "Код",
    "contact_persons": "Код",
    "invoices": "Номер",
    "payments": "Номер",
    "shipments": "Номер",
    "returns": "Номер",
    "discounts": "Номер",
}


def _crm_by_key(data: DataSet) -> dict[tuple[str, str, str], dict]:
    return {
        (branch, table, record["ID"]): record
        for branch in BRANCHES
        for table, records in data.crm(branch).items()
        if table != "portal"
        for record in records
    }


def test_crm_changes_and_additions_carry_the_new_day(
    base: DataSet, one_day_later: DataSet
) -> None:
    before, after = _crm_by_key(base), _crm_by_key(one_day_later)
    assert set(before) < set(after)
    changed = [key for key in before if before[key] != after[key]]
    added = [key for key in after if key not in before]
    assert 0 < len(changed) < 0.05 * len(before)
    assert added
    for key in changed:
        assert after[key]["DATE_MODIFY"].startswith("2026-11-01"), key
        assert after[key]["DATE_MODIFY"] > before[key]["DATE_MODIFY"]
    for key in added:
        assert after[key]["DATE_CREATE"].startswith("2026-11-01"), key
    # nothing in the base is dated on or after the base day
    assert all(record["DATE_MODIFY"] < "2026-11-01" for record in before.values())
    assert {key[1] for key in added} == {"contacts", "companies", "deals"}


def test_onec_changes_move_modified_at_forward(
    base: DataSet, one_day_later: DataSet
) -> None:
    changed_total = added_total = 0
    for table, key in ONEC_KEYS.items():
        before = {row[key]: row for row in base.onec(table)}
        after = {row[key]: row for row in one_day_later.onec(table)}
        assert set(before) <= set(after), table
        changed = [k for k in before if before[k] != after[k]]
        added = [k for k in after if k not in before]
        for k in changed + added:
            assert after[k]["ДатаИзменения"].startswith("01.11.2026"), (table, k)
        changed_total += len(changed)
        added_total += len(added)
        if table != "counterparties":
            assert not changed, f"{table}: documents are not edited in increments"
    assert changed_total > 0 and added_total > 0


def test_calls_and_tickets_are_appended_in_new_files(
    base: DataSet, one_day_later: DataSet
) -> None:
    for folder in ("telephony", "support"):
        for path in (base.landing / folder).iterdir():
            assert (
                path.read_bytes()
                == (one_day_later.landing / folder / path.name).read_bytes()
            )
    new_cdr = one_day_later.landing / "telephony" / "cdr-2026-11.csv"
    with new_cdr.open(encoding="utf-8", newline="") as handle:
        calls = list(csv.DictReader(handle))
    assert calls and all(call["calldate"].startswith("2026-11-01") for call in calls)
    export = one_day_later.landing / "support" / "tickets-2026-11-01.jsonl"
    assert export.exists()
    earlier = {ticket["id"] for ticket in base.tickets()}
    import json

    tickets = [json.loads(line) for line in export.read_text("utf-8").splitlines()]
    assert tickets
    # local midnight of 2026-11-01 is 19:00 UTC the day before
    assert all(ticket["updated_at"] >= "2026-10-31T19:00:00Z" for ticket in tickets)
    assert any(ticket["id"] in earlier for ticket in tickets), (
        "a late update of an old ticket"
    )
    assert any(ticket["id"] not in earlier for ticket in tickets), "a new ticket"


def _lines(path: Path) -> set[str]:
    return set(path.read_text("utf-8").splitlines())


def test_each_day_builds_on_the_previous_one(
    base: DataSet, one_day_later: DataSet, two_days_later: DataSet
) -> None:
    for earlier, later in ((base, one_day_later), (one_day_later, two_days_later)):
        for name in ("entities.csv", "source_records.csv"):
            assert _lines(earlier.truth / name) <= _lines(later.truth / name)
        assert set(_crm_by_key(earlier)) <= set(_crm_by_key(later))
    day_one = "support/tickets-2026-11-01.jsonl"
    assert (one_day_later.landing / day_one).read_bytes() == (
        two_days_later.landing / day_one
    ).read_bytes()
    assert (two_days_later.landing / "support" / "tickets-2026-11-02.jsonl").exists()
    records = _crm_by_key(two_days_later)
    assert any(r["DATE_MODIFY"].startswith("2026-11-02") for r in records.values())

"""Updates in batches as the CRM sync sends them: per-command errors, an audit."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlencode

from standin_testkit import Portal

from demo.standins.bitrix24 import StandinHandle
from demo.standins.bitrix24.entities import CONTACT


def _define(portal: Portal, *names: str) -> None:
    for name in names:
        answer = portal.post(
            "crm.contact.userfield.add",
            {"fields": {"FIELD_NAME": name, "USER_TYPE_ID": "string"}},
        )
        assert "result" in answer.json(), answer.text


def _update_command(record_id: int, **fields: str) -> str:
    query = [("id", record_id)] + [(f"fields[{k}]", v) for k, v in fields.items()]
    return "crm.contact.update?" + urlencode(query)


def _batch(portal: Portal, commands: dict[str, str], halt: int = 0) -> dict:
    answer = portal.post("batch", {"halt": halt, "cmd": commands})
    assert answer.status_code == 200, answer.text
    return answer.json()["result"]


def test_a_failing_update_errs_alone_and_its_49_neighbours_are_applied(
    portal: Portal,
) -> None:
    _define(portal, "C360_DUPLICATE_OF")
    portal.server.delete_record("contact", 10)  # a manager deleted it
    portal.server.fail_record(
        "contact", 20, "ERROR_CORE", "Record is locked by a business process"
    )
    commands = {
        f"c{i}": _update_command(i, UF_CRM_C360_DUPLICATE_OF=f"G{i}")
        for i in range(1, 51)
    }
    commands["c30"] = "crm.contact.update?id=30&fields[EMAIL][0][VALUE]=not-an-address"
    body = _batch(portal, commands)
    assert body["result_error"] == {
        "c10": {"error": "", "error_description": "Contact is not found"},
        "c20": {
            "error": "ERROR_CORE",
            "error_description": "Record is locked by a business process",
        },
        "c30": {
            "error": "ERROR_CORE",
            "error_description": 'The field "Work e-mail" contains an invalid address',
        },
    }
    assert len(body["result"]) == 47
    assert all(result is True for result in body["result"].values())
    assert set(body["result_time"]) == set(body["result"])
    store = portal.server.store
    assert store.get(CONTACT, 11)["UF_CRM_C360_DUPLICATE_OF"] == "G11"
    assert "UF_CRM_C360_DUPLICATE_OF" not in store.get(CONTACT, 20)
    assert "UF_CRM_C360_DUPLICATE_OF" not in store.get(CONTACT, 30)
    counts = portal.server.update_counts("contact")["contact"]
    assert len(counts) == 47 and set(counts.values()) == {1}
    assert {"10", "20", "30"}.isdisjoint(counts)
    assert portal.server.stats()["updates_applied"] == 47

    # halt=1 stops at the first failure: nothing after it runs
    halted = _batch(
        portal,
        {
            "a": _update_command(1, UF_CRM_C360_DUPLICATE_OF="H1"),
            "b": _update_command(20, UF_CRM_C360_DUPLICATE_OF="H20"),
            "c": _update_command(3, UF_CRM_C360_DUPLICATE_OF="H3"),
        },
        halt=1,
    )
    assert list(halted["result"]) == ["a"] and list(halted["result_error"]) == ["b"]
    assert store.get(CONTACT, 3)["UF_CRM_C360_DUPLICATE_OF"] == "G3"


def test_a_record_failure_can_lift_after_some_tries_or_be_cleared(
    portal: Portal,
) -> None:
    server = portal.server
    server.fail_record("company", 2, "ERROR_CORE", "Deadlock found", times=2)
    update = {"id": 2, "fields": {"TITLE": "ТОО Новое"}}
    first, second, third = (portal.post("crm.company.update", update) for _ in range(3))
    assert first.status_code == second.status_code == 400
    assert first.json() == {
        "error": "ERROR_CORE",
        "error_description": "Deadlock found",
    }
    assert third.json()["result"] is True
    assert server.stats()["record_failures_answered"] == 2

    server.fail_record("contact", 5, "ACCESS_DENIED", "Access denied", status=403)
    refused = portal.post("crm.contact.update", {"id": 5, "fields": {"NAME": "x"}})
    assert refused.status_code == 403
    server.clear_record_failures("contact", 5)
    assert portal.post("crm.contact.update", {"id": 5, "fields": {"NAME": "x"}}).ok
    # reading is not refused, so a test can check what was (not) written
    assert portal.get("crm.company.get", {"id": 2}).ok


def test_record_failures_and_deletions_through_the_control_endpoints(
    portal: Portal,
) -> None:
    control = f"{portal.base}/_standin"
    placed = portal.session.post(
        f"{control}/record_failures",
        json={
            "entity": "contact",
            "id": 7,
            "error": "ERROR_CORE",
            "error_description": "Field is locked",
        },
    )
    assert placed.json()["failures"] == [
        {
            "entity": "contact",
            "id": "7",
            "error": "ERROR_CORE",
            "error_description": "Field is locked",
            "status": 400,
            "times": None,
        }
    ]
    answer = portal.post("crm.contact.update", {"id": 7, "fields": {"NAME": "x"}})
    assert answer.json()["error_description"] == "Field is locked"
    cleared = portal.session.delete(f"{control}/record_failures", json={})
    assert cleared.json() == {"failures": []}
    assert portal.post("crm.contact.update", {"id": 7, "fields": {"NAME": "x"}}).ok

    deleted = portal.session.delete(f"{control}/records/contacts/8")
    assert deleted.json() == {"deleted": True}
    assert portal.session.delete(f"{control}/records/contact/8").status_code == 404
    gone = portal.post("crm.contact.update", {"id": 8, "fields": {"NAME": "x"}})
    assert gone.json() == {"error": "", "error_description": "Contact is not found"}
    assert portal.get("crm.contact.get", {"id": 8}).json()["error_description"] == (
        "Not found"
    )
    bad = portal.session.post(f"{control}/record_failures", json={"entity": "lead"})
    assert bad.status_code == 400

    audit = portal.session.get(f"{control}/audit").json()
    assert audit == {"updates_applied": 1, "by_record": {"contact": {"7": 1}}}


def test_the_audit_of_applied_updates_survives_a_restart(
    start: Callable[..., StandinHandle], landing: Path
) -> None:
    first = start(seed_from=landing)
    portal = Portal(first, "almaty")
    _define(portal, "C360_GOLDEN_ID")
    commands = {
        f"c{i}": _update_command(i, UF_CRM_C360_GOLDEN_ID=f"G-{i:06d}") for i in (1, 2)
    }
    _batch(portal, commands)
    _batch(portal, {"again": _update_command(2, UF_CRM_C360_GOLDEN_ID="G-000002")})
    portal.post("crm.contact.update", {"id": 3, "fields": {"NO_SUCH": "x"}})
    first.stop()

    again = Portal(start(seed_from=landing), "almaty")
    assert again.server.update_counts() == {"contact": {"1": 1, "2": 2, "3": 1}}
    entries = again.server.store.audit(CONTACT, 2)
    assert [e["fields"] for e in entries] == [{"UF_CRM_C360_GOLDEN_ID": "G-000002"}] * 2
    assert entries[0]["at"] <= entries[1]["at"]
    assert again.server.store.audit(CONTACT, 3)[0]["ignored"] == ["NO_SUCH"]
    # the custom field is still defined, so a restarted sync's writes still land
    record = again.get("crm.contact.get", {"id": 1}).json()["result"]
    assert record["UF_CRM_C360_GOLDEN_ID"] == "G-000001"
    # direct edits (a manager's) are not audited
    again.server.store.update(CONTACT, 4, {"NAME": "Правка"})
    assert "4" not in again.server.update_counts()["contact"]

"""The stand-in misbehaves like amoCRM: token checks, 429, the 403 block, faults."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
import requests
from amocrm_testkit import TOKEN, Account

from demo.standins.amocrm import AmoCrmStandin, FaultConfig, RateLimit
from demo.standins.amocrm.samples import seed_document


def test_a_wrong_or_missing_token_is_401_problem_json(account: Account) -> None:
    expected = {
        "title": "Unauthorized",
        "type": "https://httpstatus.es/401",
        "status": 401,
        "detail": "Invalid user name or password",
    }
    for headers in (
        {"Authorization": "Bearer not-the-token"},
        {"Authorization": TOKEN},  # no scheme
        {},
    ):
        answer = requests.get(
            f"{account.base}/api/v4/contacts", headers=headers, timeout=10
        )
        assert answer.status_code == 401
        assert answer.headers["Content-Type"] == "application/problem+json"
        assert answer.json() == expected
    assert account.handle.stats()["auth_failures"] == 3


def _burst(account: Account, count: int) -> list[requests.Response]:
    return [account.get("/api/v4/contacts/1") for _ in range(count)]


def test_more_than_seven_requests_a_second_get_429(
    start: Callable[..., AmoCrmStandin],
) -> None:
    handle = start(
        seed_from=seed_document(contacts=3),
        rate_limit=RateLimit(per_second=7, block_after=0),
    )
    account = Account(handle)
    answers = _burst(account, 10)
    assert [a.status_code for a in answers[:7]] == [200] * 7
    assert [a.status_code for a in answers[7:]] == [429] * 3
    refused = answers[-1].json()
    assert refused["title"] == "Too Many Requests"
    assert refused["type"] == "https://httpstatus.es/429"
    assert refused["status"] == 429
    assert refused["retry_after"] >= 1
    time.sleep(1.05)  # the window has slid past the burst
    assert account.get("/api/v4/contacts/1").status_code == 200
    assert handle.stats()["rate_limited"] == 3
    assert not handle.blocked


def test_a_client_that_keeps_hitting_429_is_blocked_with_403_for_a_while(
    start: Callable[..., AmoCrmStandin],
) -> None:
    handle = start(
        seed_from=seed_document(contacts=3),
        rate_limit=RateLimit(
            per_second=2, block_after=3, block_window=10, block_seconds=1.0
        ),
    )
    account = Account(handle)
    codes = [a.status_code for a in _burst(account, 6)]
    assert codes == [200, 200, 429, 429, 429, 403]  # the third 429 started a block
    blocked = account.get("/api/v4/contacts/1")
    assert blocked.status_code == 403
    assert "403 Forbidden" in blocked.text  # the gateway's page, not JSON
    assert handle.blocked
    time.sleep(1.1)
    assert account.get("/api/v4/contacts/1").status_code == 200
    stats = handle.stats()
    assert stats["blocked"] == 2 and stats["rate_limited"] == 3
    assert not stats["blocked_now"]


def test_a_block_can_be_lifted_and_the_limit_lifted_for_benchmarks(
    start: Callable[..., AmoCrmStandin],
) -> None:
    handle = start(
        seed_from=seed_document(contacts=3),
        rate_limit=RateLimit(per_second=1, block_after=1, block_seconds=600),
    )
    account = Account(handle)
    assert [a.status_code for a in _burst(account, 3)] == [200, 429, 403]
    handle.unblock()
    handle.set_rate_limit(RateLimit.unlimited())
    assert {a.status_code for a in _burst(account, 40)} == {200}


def test_429_can_come_as_the_gateways_html_page(
    start: Callable[..., AmoCrmStandin],
) -> None:
    handle = start(
        seed_from=seed_document(contacts=1),
        rate_limit=RateLimit(per_second=1, block_after=0, refusal_body="html"),
    )
    refused = _burst(Account(handle), 2)[1]
    assert refused.status_code == 429
    assert refused.headers["Content-Type"] == "text/html"


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_queued_gateway_errors_are_one_off(account: Account, status: int) -> None:
    account.handle.inject(f"http_{status}")
    answer = account.get("/api/v4/contacts/1")
    assert answer.status_code == status
    assert "nginx" in answer.text
    assert account.get("/api/v4/contacts/1").status_code == 200


def test_a_dropped_connection_writes_nothing(account: Account) -> None:
    account.handle.inject("drop")
    with pytest.raises(requests.ConnectionError):
        requests.patch(
            f"{account.base}/api/v4/contacts",
            json=[{"id": 1, "name": "never"}],
            headers={"Authorization": f"Bearer {TOKEN}"},
            timeout=5,
        )
    assert account.handle.patches() == []
    assert account.contact(1)["name"] != "never"


def test_a_lost_answer_after_the_write_shows_in_the_journal(account: Account) -> None:
    """The case a retrying sync must handle: the CRM wrote, the client never heard."""
    account.handle.inject("lost_answer")
    with pytest.raises(requests.ConnectionError):
        requests.patch(
            f"{account.base}/api/v4/contacts",
            json=[{"id": 1, "name": "written once"}],
            headers={"Authorization": f"Bearer {TOKEN}"},
            timeout=5,
        )
    assert account.contact(1)["name"] == "written once"
    assert account.handle.store.patch_counts("contacts") == {1: 1}
    # a blind retry writes it again, and the journal says so
    account.patch("/api/v4/contacts", [{"id": 1, "name": "written once"}])
    assert account.handle.store.patch_counts("contacts") == {1: 2}


def test_slow_and_malformed_answers(account: Account) -> None:
    account.handle.inject("slow:0.3", "malformed")
    began = time.monotonic()
    assert account.get("/api/v4/contacts/1").json()["id"] == 1
    assert time.monotonic() - began >= 0.3
    cut = account.get("/api/v4/contacts/1")
    assert cut.status_code == 200
    with pytest.raises(ValueError):
        cut.json()


def test_faults_queue_through_the_control_endpoint(account: Account) -> None:
    queued = requests.post(
        f"{account.base}/_standin/faults",
        json={"faults": ["ok", "http_504"]},
        timeout=5,
    )
    assert queued.json() == {"pending": ["ok", "http_504"]}
    assert account.get("/api/v4/contacts/1").status_code == 200
    assert account.get("/api/v4/contacts/1").status_code == 504
    stats = requests.get(f"{account.base}/_standin/stats", timeout=5).json()
    assert stats["faults"] == {"http_504": 1}
    bad = requests.post(
        f"{account.base}/_standin/faults", json={"faults": ["nope"]}, timeout=5
    )
    assert bad.status_code == 400


def test_seeded_fault_rates_repeat_run_to_run(
    start: Callable[..., AmoCrmStandin],
) -> None:
    def run() -> list[int]:
        handle = start(
            seed_from=seed_document(contacts=1),
            faults=FaultConfig(fail_rate=0.3, seed=7),
        )
        codes = [
            Account(handle).get("/api/v4/contacts/1").status_code for _ in range(20)
        ]
        handle.stop()
        return codes

    first = run()
    assert first == run()
    assert 200 in first and {500, 502, 503} & set(first)


def test_a_record_set_to_fail_rejects_its_whole_batch(account: Account) -> None:
    account.handle.fail_record(
        "contacts",
        2,
        code="InvalidType",
        path="custom_fields_values.0.values.0.value",
        detail="This value should be of type string.",
        times=1,
    )
    batch = [{"id": i, "name": f"renamed {i}"} for i in (1, 2, 3)]
    refused = account.patch("/api/v4/contacts", batch)
    assert refused.status_code == 400
    assert refused.json()["validation-errors"] == [
        {
            "request_id": "1",
            "errors": [
                {
                    "code": "InvalidType",
                    "path": "custom_fields_values.0.values.0.value",
                    "detail": "This value should be of type string.",
                }
            ],
        }
    ]
    assert account.handle.patches() == []
    # once only: the retry without a change goes through
    assert account.patch("/api/v4/contacts", batch).status_code == 200
    assert account.contact(2)["name"] == "renamed 2"


def test_a_record_fails_until_cleared_and_only_its_own_batches(
    account: Account,
) -> None:
    account.handle.fail_record("companies", 5)
    for _ in range(3):
        refused = account.patch("/api/v4/companies", [{"id": 5, "name": "x"}])
        assert refused.status_code == 400
        error = refused.json()["validation-errors"][0]["errors"][0]
        assert error["code"] == "NotSupportedChoice"
    assert (
        account.patch("/api/v4/companies", [{"id": 6, "name": "y"}]).status_code == 200
    )
    assert (
        account.patch("/api/v4/contacts", [{"id": 5, "name": "z"}]).status_code == 200
    )
    account.handle.clear_record_failures()
    assert (
        account.patch("/api/v4/companies", [{"id": 5, "name": "x"}]).status_code == 200
    )

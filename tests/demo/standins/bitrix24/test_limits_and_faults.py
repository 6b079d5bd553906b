"""The stand-in misbehaves like a real portal: rate limit, gateway errors, drops."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
import requests
from standin_testkit import Portal

from demo.standins.bitrix24 import (
    FaultConfig,
    OperatingLimit,
    RateLimit,
    StandinHandle,
)

OPERATION_TIME_LIMIT = {
    "error": "OPERATION_TIME_LIMIT",
    "error_description": "Method is blocked due to operation time limit.",
}


def test_rate_limit_answers_503_past_the_bucket_then_recovers(
    start: Callable[..., StandinHandle], landing
) -> None:
    handle = start(
        ["almaty", "astana"],
        seed_from=landing,
        rate_limit=RateLimit(capacity=5, drain_per_second=4),
    )
    almaty, astana = Portal(handle, "almaty"), Portal(handle, "astana")
    statuses = [almaty.get("crm.contact.list").status_code for _ in range(8)]
    assert statuses[:5] == [200] * 5 and 503 in statuses[5:]
    refused = almaty.get("crm.contact.list")
    assert refused.status_code == 503
    assert refused.json() == {
        "error": "QUERY_LIMIT_EXCEEDED",
        "error_description": "Too many requests",
    }
    # each portal has its own bucket
    assert astana.get("crm.contact.list").status_code == 200
    time.sleep(0.6)  # draining 4 a second: room for two again
    assert almaty.get("crm.contact.list").status_code == 200
    assert almaty.server.stats()["rate_limited"] >= 2


def test_a_batch_counts_as_one_request(
    start: Callable[..., StandinHandle], landing
) -> None:
    handle = start(seed_from=landing, rate_limit=RateLimit(3, 0.01))
    portal = Portal(handle, "almaty")
    cmd = {f"p{i}": f"crm.contact.list?start={i * 50}" for i in range(3)}
    for _ in range(3):
        assert portal.post("batch", {"cmd": cmd}).status_code == 200
    assert portal.post("batch", {"cmd": cmd}).status_code == 503
    assert portal.server.stats()["batch_commands"] == 9


@pytest.mark.parametrize("status", [500, 502, 503])
def test_queued_gateway_errors_are_not_the_rate_limit(portal: Portal, status) -> None:
    portal.server.inject(f"http_{status}")
    answer = portal.get("crm.contact.list")
    assert answer.status_code == status
    assert "QUERY_LIMIT_EXCEEDED" not in answer.text
    assert portal.get("crm.contact.list").status_code == 200  # one-off


def test_queued_drop_closes_the_connection_without_an_answer(portal: Portal) -> None:
    portal.server.inject("drop")
    with pytest.raises(requests.ConnectionError):
        requests.get(portal.url("crm.contact.list"), timeout=5)
    assert portal.get("crm.contact.list").status_code == 200


def test_queued_malformed_answer_is_a_cut_json_body(portal: Portal) -> None:
    portal.server.inject("malformed")
    answer = portal.get("crm.contact.list")
    assert answer.status_code == 200
    with pytest.raises(ValueError):
        answer.json()


def test_queued_slow_answer_arrives_late_but_whole(portal: Portal) -> None:
    portal.server.inject("slow:0.4")
    began = time.monotonic()
    answer = portal.get("crm.contact.list")
    assert time.monotonic() - began >= 0.4
    assert answer.json()["total"] == 120


def test_faults_queue_through_the_control_endpoint_in_order(portal: Portal) -> None:
    queued = portal.session.post(
        f"{portal.base}/_standin/faults", json={"faults": ["ok", "http_502"]}
    )
    assert queued.json() == {"pending": ["ok", "http_502"]}
    assert portal.get("crm.contact.list").status_code == 200
    assert portal.get("crm.contact.list").status_code == 502
    assert portal.get("crm.contact.list").status_code == 200
    stats = portal.session.get(f"{portal.base}/_standin/stats").json()
    assert stats["faults"] == {"http_502": 1}
    assert stats["requests"] == 3
    bad = portal.session.post(f"{portal.base}/_standin/faults", json={"faults": ["x"]})
    assert bad.status_code == 400


def test_seeded_fault_rates_repeat_run_to_run(
    start: Callable[..., StandinHandle], landing
) -> None:
    def run() -> list[int]:
        handle = start(seed_from=landing, faults=FaultConfig(fail_rate=0.3, seed=7))
        portal = Portal(handle, "almaty")
        codes = [portal.get("crm.deal.list").status_code for _ in range(20)]
        handle.stop()
        return codes

    first = run()
    assert first == run()
    assert 200 in first and {500, 502, 503} & set(first)


def test_a_method_past_its_operating_time_is_blocked_until_the_reset(
    start: Callable[..., StandinHandle], landing
) -> None:
    # 1 s of a method within 2 s; each call charged 0.6 s: the third is refused
    limit = OperatingLimit(limit_seconds=1, window_seconds=2, cost_per_call=0.6)
    portal = Portal(start(seed_from=landing, operating_limit=limit), "almaty")
    update = {"id": 1, "fields": {"NAME": "Айдар"}}
    first = portal.post("crm.contact.update", update).json()["time"]
    second = portal.post("crm.contact.update", update).json()["time"]
    assert 0.6 <= first["operating"] < 0.7
    assert 1.2 <= second["operating"] < 1.3
    assert second["operating_reset_at"] == first["operating_reset_at"]
    assert isinstance(second["operating_reset_at"], int)
    refused = portal.post("crm.contact.update", update)
    assert refused.status_code == 429
    assert refused.json() == OPERATION_TIME_LIMIT
    # other methods are counted apart and still run
    listed = portal.get("crm.contact.list")
    assert listed.status_code == 200
    assert 0.6 <= listed.json()["time"]["operating"] < 0.7
    # inside a batch each blocked command errs alone; the batch itself is not counted
    batch = portal.post(
        "batch",
        {
            "cmd": {
                "upd": "crm.contact.update?id=2&fields[NAME]=x",
                "get": "crm.contact.get?id=2",
            }
        },
    )
    assert batch.status_code == 200
    body = batch.json()
    assert body["result"]["result_error"] == {"upd": OPERATION_TIME_LIMIT}
    assert "get" in body["result"]["result"]
    assert body["result"]["result_time"]["get"]["operating"] >= 0.6
    assert body["time"]["operating"] == 0
    assert portal.server.stats()["operation_time_limited"] == {"crm.contact.update": 2}

    time.sleep(max(0.0, second["operating_reset_at"] - time.time()) + 0.05)
    recovered = portal.post("crm.contact.update", update)
    assert recovered.status_code == 200
    # the basket of the first calls has left (a second one may remain when they
    # fell on either side of a basket's edge)
    assert recovered.json()["time"]["operating"] < 1.3


def test_a_blocked_method_can_be_forced_for_a_sync_test(portal: Portal) -> None:
    portal.server.block_method("crm.contact.update", 0.5)
    commands = {f"c{i}": f"crm.contact.update?id={i}&fields[NAME]=x" for i in (1, 2)}
    body = portal.post("batch", {"cmd": commands}).json()["result"]
    assert body["result_error"] == {
        "c1": OPERATION_TIME_LIMIT,
        "c2": OPERATION_TIME_LIMIT,
    }
    assert portal.post("crm.company.update", {"id": 1, "fields": {}}).ok
    time.sleep(0.6)
    assert portal.post("crm.contact.update", {"id": 1, "fields": {}}).ok
    # and through the control endpoint
    blocked = portal.session.post(
        f"{portal.base}/_standin/operating",
        json={"method": "crm.company.update", "seconds": 30},
    )
    assert blocked.json()["limit_seconds"] == 480  # Bitrix24's, by default
    assert portal.post("crm.company.update", {"id": 1}).status_code == 429
    portal.session.delete(f"{portal.base}/_standin/operating")
    assert portal.post("crm.company.update", {"id": 1, "fields": {}}).ok


def test_the_default_limit_reports_real_operating_time(portal: Portal) -> None:
    answer = portal.get("crm.deal.list").json()["time"]
    assert 0 < answer["operating"] < 1
    assert answer["operating_reset_at"] >= int(answer["start"]) + 600

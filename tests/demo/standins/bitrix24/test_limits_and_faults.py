"""The stand-in misbehaves like a real portal: rate limit, gateway errors, drops."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
import requests
from standin_testkit import Portal

from demo.standins.bitrix24 import FaultConfig, RateLimit, StandinHandle


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

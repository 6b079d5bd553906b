"""Ticket exports: merged on id, the newest version of a ticket wins."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from file_landing_builders import landed_tables, ticket, write_tickets

from pipelines.common.contracts import SchemaDriftError
from pipelines.ingest import land_source
from pipelines.support import support_source


def tickets(query) -> list[tuple]:
    return query(
        "select id, status, requester_name, requester_email, requester_phone, "
        "satisfaction_score, tags, updated_at from raw_support.tickets order by id"
    )


def test_tickets_land_flattened(landing, land, query):
    write_tickets(
        landing,
        "2025-03",
        [ticket(1), ticket(2, requester=None, satisfaction_score=None, tags=[])],
    )

    tally, info = land(support_source, "support")

    assert not info.has_failed_jobs and tally.landed == {"tickets": 2}
    rows = tickets(query)
    assert rows[0][:6] == (
        1,
        "open",
        "Иван Петров",
        "ivan.petrov@mail.ru",
        "+7 777 123 45 67",
        4,
    )
    assert json.loads(rows[0][6]) == ["invoice"]
    assert rows[0][7] == datetime(2025, 3, 2, 10, 0, tzinfo=UTC)
    assert rows[1][2:6] == (None, None, None, None)


def test_a_late_update_wins_and_an_older_copy_does_not(landing, land, query):
    write_tickets(landing, "2025-03", [ticket(1), ticket(2)])
    land(support_source, "support")

    # a later export: ticket 1 solved (newer), ticket 2 repeated with an older copy
    write_tickets(
        landing,
        "2025-04",
        [
            ticket(1, updated_at="2025-04-05T08:00:00Z", status="solved"),
            ticket(2, updated_at="2025-03-01T00:00:00Z", status="new"),
            ticket(3, updated_at="2025-04-06T08:00:00Z"),
        ],
    )
    tally, _ = land(support_source, "support")

    assert tally.unchanged_files == ["support/tickets-2025-03.jsonl"]
    assert [(row[0], row[1]) for row in tickets(query)] == [
        (1, "solved"),
        (2, "open"),
        (3, "open"),
    ]


def test_within_one_run_the_newest_version_wins(landing, land, query):
    write_tickets(
        landing, "a", [ticket(1, updated_at="2025-03-05T00:00:00Z", status="solved")]
    )
    write_tickets(
        landing, "b", [ticket(1, updated_at="2025-03-02T00:00:00Z", status="open")]
    )

    land(support_source, "support")

    assert [(row[0], row[1]) for row in tickets(query)] == [(1, "solved")]


def test_loading_twice_changes_nothing(landing, land, query):
    write_tickets(landing, "2025-03", [ticket(1), ticket(2)], extra=b"{oops\n")
    land(support_source, "support")
    before = (tickets(query), query("select * from raw_support.rejects"))

    tally, _ = land(support_source, "support")

    assert tally.total_read == 0
    assert (tickets(query), query("select * from raw_support.rejects")) == before


def test_malformed_lines_are_rejected_with_their_line(landing, land, query):
    write_tickets(
        landing,
        "2025-03",
        [ticket(1), ticket(2, id="two")],
        extra=b'{"id": 3, "subject": \n' + b"\xff\xfe\n" + b'{"id": 4, "subj',
    )

    tally, _ = land(support_source, "support")

    assert tally.read == {"tickets": 5} and tally.landed == {"tickets": 1}
    found = query("select line, reason, raw from raw_support.rejects order by line")
    assert [row[0] for row in found] == [2, 3, 4, 5]
    assert found[0][1] == "id 'two' is not a whole number"
    assert found[1][1].startswith("malformed JSON:")
    assert found[1][2] == '{"id": 3, "subject": '
    assert found[2][1] == "undecodable as UTF-8"
    assert found[3][1].startswith("malformed JSON:")


@pytest.mark.parametrize(
    ("change", "column"),
    [
        ({"assignee": "Айгуль"}, "assignee"),
        ({"requester": {"name": "И"}}, "requester.email"),
    ],
)
def test_a_changed_ticket_shape_stops_the_load(
    landing, settings, query, change, column
):
    shifted = ticket(2, **change)
    write_tickets(landing, "2025-03", [ticket(1), shifted])

    with pytest.raises(SchemaDriftError, match=column.replace(".", r"\.")) as drift:
        land_source("support", settings, progress=None)

    assert (drift.value.source, drift.value.table) == ("support", "tickets")
    assert landed_tables(query, "raw_support") == []


def test_a_missing_ticket_key_stops_the_load(landing, settings):
    incomplete = ticket(1)
    del incomplete["satisfaction_score"]
    write_tickets(landing, "2025-03", [incomplete])

    with pytest.raises(SchemaDriftError, match="satisfaction_score"):
        land_source("support", settings, progress=None)


def test_a_late_export_lands_its_tickets_however_old_and_still_not_an_older_copy(
    landing, settings, query
):
    write_tickets(
        landing,
        "2025-03",
        [
            ticket(1, updated_at="2025-03-20T10:00:00Z", status="solved"),
            ticket(2, updated_at="2025-01-10T10:00:00Z", status="new"),
        ],
    )
    land_source("support", settings, progress=None)

    # January's export, sent in April: a ticket never landed, a copy of ticket 1
    # older than the landed one, and ticket 2 newer than its landed version (but
    # older than the newest ticket of all)
    write_tickets(
        landing,
        "2025-01",
        [
            ticket(3, updated_at="2025-01-05T10:00:00Z", status="closed"),
            ticket(1, updated_at="2025-01-02T10:00:00Z", status="open"),
            ticket(2, updated_at="2025-01-31T10:00:00Z", status="pending"),
        ],
    )
    report = land_source("support", settings, progress=None)

    assert (report.read, report.landed) == ({"tickets": 3}, {"tickets": 3})
    assert [(row[0], row[1]) for row in tickets(query)] == [
        (1, "solved"),
        (2, "pending"),
        (3, "closed"),
    ]

"""The identity models in a real dbt build: every record clustered once, events
attributed, the review queue holding only undecided uncertain pairs."""

from __future__ import annotations

from tests.landed_company import BuiltCompany

EVENTS = "('telephony', 'support')"


def test_every_person_record_is_in_exactly_one_cluster(
    built_company: BuiltCompany,
) -> None:
    records = built_company.query(
        "select record_key from intermediate.int_person_records_unioned"
        f" where source_system not in {EVENTS} order by 1"
    )
    clustered = built_company.query(
        "select record_key from intermediate.int_person_clusters order by 1"
    )
    assert len(records) > 1000
    assert clustered == records  # same keys, each once


def test_every_organisation_record_is_in_exactly_one_cluster(
    built_company: BuiltCompany,
) -> None:
    records = built_company.query(
        "select record_key from intermediate.int_organisation_records_unioned"
        " order by 1"
    )
    clustered = built_company.query(
        "select record_key from intermediate.int_organisation_clusters order by 1"
    )
    assert len(records) > 400
    assert clustered == records


def test_cluster_sizes_and_links_describe_the_clusters(
    built_company: BuiltCompany,
) -> None:
    for entity in ("person", "organisation"):
        wrong = built_company.query(
            f"""
            select c.record_key
            from intermediate.int_{entity}_clusters as c
            join (select cluster_id, count(*) as n
                  from intermediate.int_{entity}_clusters group by all) as s
              using (cluster_id)
            where c.cluster_size <> s.n
               or (c.cluster_size = 1) <> (c.linked_by = 'singleton')
               or c.cluster_id > c.record_key
            """
        )
        assert wrong == [], entity
    links = dict(
        built_company.query(
            "select linked_by, count(*) from intermediate.int_person_clusters"
            " group by 1"
        )
    )
    assert links.get("rule", 0) > 0 and links.get("probabilistic", 0) > 0


def test_calls_and_tickets_are_attributed_not_clustered(
    built_company: BuiltCompany,
) -> None:
    in_pairs = built_company.query(
        "select count(*) from intermediate.int_person_match_pairs"
        " where split_part(record_key_l, ':', 1) in "
        + EVENTS
        + " or split_part(record_key_r, ':', 1) in "
        + EVENTS
    )
    assert in_pairs == [(0,)]
    events = built_company.query(
        "select record_key from intermediate.int_person_records_unioned"
        f" where source_system in {EVENTS} order by 1"
    )
    attributed = built_company.query(
        "select record_key from intermediate.int_event_attributions order by 1"
    )
    assert attributed == events
    unexplained = built_company.query(
        "select count(*) from intermediate.int_event_attributions"
        " where (cluster_id is null) = (unattributed_reason is null)"
    )
    assert unexplained == [(0,)]


def test_review_queue_shows_uncertain_pairs_side_by_side(
    built_company: BuiltCompany,
) -> None:
    queue = built_company.query(
        "select entity_type, name_l, name_r, match_probability, mw_name_core"
        " from intermediate.int_identity_review_queue"
    )
    review_pairs = built_company.query(
        "select (select count(*) from intermediate.int_person_match_pairs"
        "        where decision = 'review')"
        " + (select count(*) from intermediate.int_organisation_match_pairs"
        "    where decision = 'review')"
    )
    assert len(queue) == review_pairs[0][0] > 0
    assert all(
        name_l and name_r and probability >= 0.2
        for _, name_l, name_r, probability, _ in queue
    )

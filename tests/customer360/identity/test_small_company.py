"""Train, resolve and evaluate on a small generated company through real Splink."""

from __future__ import annotations

from identity_testkit import organisation_records, person_records, resolve

from customer360.identity.evaluate import evaluate
from customer360.identity.events import attribute_events
from customer360.identity.features import EVENT_SOURCE_SYSTEMS
from customer360.identity.train import (
    RECORDS_KEY,
    THRESHOLD_KEY,
    describe_changes,
    model_path,
    train,
)

# floors below the 10,000-customer figures (docs/identity.md): a small company has
# fewer duplicates, so one wrong merge moves the figures more
PRECISION_FLOOR = 0.97
F1_FLOOR = 0.95


def test_a_model_trained_on_a_small_company_resolves_it(small_company, tmp_path):
    for entity_type, load in (
        ("persons", person_records),
        ("organisations", organisation_records),
    ):
        records = load(small_company.warehouse)
        trained = train(
            records, entity_type, seed=3, output_path=tmp_path / f"{entity_type}.json"
        )
        # trained on the company's own records, every check passed: EM settled,
        # agreement counts for a match, the weights fall into two modes
        assert trained.accepted, trained.summary()
        assert all(p["status"] in ("converged", "skipped") for p in trained.passes)
        assert any(p["status"] == "converged" for p in trained.passes)
        # the prior's batch size and the chosen threshold travel with the model
        # (calls and tickets aside)
        matched = [
            s
            for s in records.column("source_system").to_pylist()
            if s not in EVENT_SOURCE_SYSTEMS
        ]
        assert trained.settings[RECORDS_KEY] == len(matched)
        assert trained.settings[THRESHOLD_KEY] == trained.match_threshold
        clusters, pairs = resolve(
            records, entity_type, model=tmp_path / f"{entity_type}.json"
        )
        report = evaluate(clusters, small_company.ground_truth_dir)
        assert report.precision >= PRECISION_FLOOR, report.format()
        assert report.f1 >= F1_FLOOR, report.format()
        # against the committed model the changes are listed, against itself none
        assert describe_changes(model_path(entity_type), trained.settings)
        assert describe_changes(trained.settings, trained.settings) == []


def test_calls_and_tickets_are_attached_or_given_a_reason(small_company):
    records = person_records(small_company.warehouse)
    clusters, _ = resolve(records, "persons")
    events = attribute_events(records, clusters).to_pylist()
    assert events
    for event in events:
        assert (event["cluster_id"] is None) != (event["unattributed_reason"] is None)
    attributed = sum(event["cluster_id"] is not None for event in events)
    # about 11% of calls come from strangers and some numbers are shared
    assert attributed / len(events) > 0.7

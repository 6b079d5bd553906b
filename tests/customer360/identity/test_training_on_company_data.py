"""Training on a company's own records: checked, versioned, retrained when the records
change, and never trusted when its checks fail (real Splink on hand-made and FEBRL
records, no stand-ins)."""

from __future__ import annotations

import random
from datetime import datetime

import pyarrow as pa
import pytest
from identity_records import person, person_table
from identity_testkit import resolve

from benchmarks.febrl_landing import load
from customer360.identity import model_store
from customer360.identity.evaluate import evaluate
from customer360.identity.model_store import (
    changed_share,
    choose_model,
    record_sketch,
    retrain_reason,
    train_if_needed,
)
from customer360.identity.train import MIN_TRAINING_RECORDS, train


def _febrl1_records() -> tuple[pa.Table, pa.Table]:
    """FEBRL1 as CRM contacts shaped like the person union (Latin names only, so
    the identity testkit's transliteration is exact), and its truth."""
    rows, truth = [], []
    for record in load("febrl1"):
        key = f"crm:contacts:almaty:{record.rec_id}"
        name = " ".join(p for p in (record.surname, record.given_name) if p)
        rows.append(
            person(
                key,
                name or None,
                first_name=record.given_name or None,
                last_name=record.surname or None,
                birth_date=record.date_of_birth,
                city=record.suburb or None,
                address=" ".join(
                    p for p in (record.street_number, record.address_1) if p
                )
                or None,
                postcode=record.postcode or None,
            )
        )
        truth.append({"record_key": key, "entity_id": record.entity})
    return person_table(rows), pa.Table.from_pylist(truth)


@pytest.fixture(scope="module")
def febrl1() -> tuple[pa.Table, pa.Table]:
    return _febrl1_records()


def _strangers(records: pa.Table, seed: int = 5) -> pa.Table:
    """The same records with every field shuffled among them: nobody is anyone's
    duplicate any more, so no model can find a match mode."""
    rng = random.Random(seed)
    columns = {}
    for name in records.column_names:
        values = records.column(name).to_pylist()
        if name not in ("record_key", "source_system", "source_table"):
            rng.shuffle(values)
        columns[name] = pa.array(values, records.schema.field(name).type)
    return pa.table(columns)


def test_a_model_trained_on_febrl1_passes_its_checks_and_finds_its_pairs(febrl1):
    records, truth = febrl1
    trained = train(records, "persons")
    assert trained.accepted, trained.summary()
    # the prior comes from the records: FEBRL1 holds 500 true pairs among 1,000
    assert 450 <= trained.expected_matches <= 550
    clusters, _ = resolve(records, "persons", model=trained)
    report = evaluate(clusters, truth)
    assert report.precision >= 0.99, report.format()
    assert report.f1 >= 0.98, report.format()


def test_a_model_on_records_without_duplicates_is_rejected_and_the_last_good_one_used(
    febrl1,
):
    records, _ = febrl1
    first = train_if_needed(records, "persons", None, log=lambda _: None)
    assert first.column("status").to_pylist() == ["accepted"]

    broken = train_if_needed(
        _strangers(records), "persons", first, force=True, log=lambda _: None
    )
    row = broken.to_pylist()[0]
    assert (row["version"], row["status"], row["trigger"]) == (
        2,
        "rejected",
        "requested",
    )
    assert "weights_are_bimodal" in row["failed_checks"]

    kept = pa.concat_tables([first, broken])
    choice = choose_model(kept, "persons")
    assert (choice.source, choice.version) == ("trained", 1)
    assert "failed its checks" in choice.message and "using version 1" in choice.message


def test_without_any_good_model_the_committed_one_is_used_and_said_so(febrl1):
    records, _ = febrl1
    few = records.slice(0, MIN_TRAINING_RECORDS - 1)
    rows = train_if_needed(few, "persons", None, log=lambda _: None)
    row = rows.to_pylist()[0]
    assert row["status"] == "rejected" and "enough_records" in row["failed_checks"]
    choice = choose_model(rows, "persons")
    assert choice.source == "committed" and choice.version is None
    assert "committed model" in choice.message
    # and nothing in the warehouse at all is no fallback worth a message
    assert choose_model(None, "persons").message is None


def test_retraining_follows_the_share_of_records_changed(febrl1):
    records, _ = febrl1
    sketch = record_sketch(records)
    models = pa.table(
        {
            "version": [1],
            "status": ["accepted"],
            "record_sketch": pa.array([sketch], pa.list_(pa.uint64())),
        }
    )
    assert retrain_reason(None, sketch) == "no model trained on this warehouse yet"
    assert retrain_reason(models, sketch) is None
    assert retrain_reason(models, sketch, force=True) == "requested"
    # 10% of the records changed: keep the model; 40%: retrain (the threshold is
    # model_store.RETRAIN_CHANGED_SHARE, a fifth)
    for share, retrains in ((0.1, False), (0.4, True)):
        changed = records.num_rows * share
        names = [
            f"{name} changed" if i < changed else name
            for i, name in enumerate(records.column("full_name").to_pylist())
        ]
        edited = records.set_column(
            records.column_names.index("full_name"), "full_name", pa.array(names)
        )
        estimate = changed_share(sketch, record_sketch(edited))
        # a changed record is one gone and one new: the union grows by the share too
        expected = 2 * share / (1 + share)
        assert estimate == pytest.approx(expected, abs=0.05)
        assert (retrain_reason(models, record_sketch(edited)) is not None) is retrains


def test_updated_at_alone_does_not_count_as_a_change(febrl1):
    records, _ = febrl1
    # the CRM sync's write-back moves DATE_MODIFY on every record it touched
    stamped = records.set_column(
        records.column_names.index("updated_at"),
        "updated_at",
        pa.array([datetime(2026, 12, 1, 3, 0)] * records.num_rows, pa.timestamp("us")),
    )
    assert (
        model_store.changed_share(record_sketch(records), record_sketch(stamped)) == 0
    )


def test_hand_made_persons_train_to_nothing_but_are_still_resolved():
    rows = [person("crm:contacts:almaty:1", "Иван Петров")]
    trained = train(person_table(rows), "persons")
    assert not trained.accepted
    clusters, _ = resolve(person_table(rows), "persons")
    assert clusters.num_rows == 1

"""The committed model JSON loads and separates one person from two colleagues."""

from __future__ import annotations

import json
from datetime import date

import pytest
from identity_records import organisation, organisation_table, person, person_table
from identity_testkit import resolve

from customer360.identity.calibration import MAX_PRIOR
from customer360.identity.model_definition import prediction_blocking_rules
from customer360.identity.train import (
    PRIOR_KEY,
    RECORDS_KEY,
    model_for,
    model_path,
)


def test_the_committed_models_are_trained():
    for entity_type in ("persons", "organisations"):
        model = json.loads(model_path(entity_type).read_text())
        assert 0 < model["probability_two_random_records_match"] < 0.01
        levels = [
            level
            for comparison in model["comparisons"]
            for level in comparison["comparison_levels"]
            if not level.get("is_null_level")
        ]
        assert all("m_probability" in lvl and "u_probability" in lvl for lvl in levels)
        # the JSON describes the pairs prediction scores, as settings.py says
        blocking = model["blocking_rules_to_generate_predictions"]
        assert blocking == prediction_blocking_rules(entity_type)


def test_the_person_model_joins_spellings_and_keeps_colleagues_apart():
    switchboard = "+77272940037"
    rows = [
        # one person: Cyrillic in the CRM, Latin with a typo in 1C, same birth date
        person("crm:contacts:almaty:1", "Нұрланова Айгерім Серікқызы",
               phones=[switchboard], city="Алматы", birth_date=date(1985, 3, 2)),
        person("onec:contact_persons:00-7", "Nurlanova Aigerm",
               phones=[switchboard], birth_date=date(1985, 3, 2)),
        # a colleague on the same switchboard and the same office mailbox
        person("crm:contacts:almaty:2", "Ким Виктор Андреевич",
               phones=[switchboard], email="info@romashka.kz", city="Алматы"),
        person("crm:contacts:almaty:3", "Ахметов Ерлан Нурланович",
               phones=[switchboard], email="info@romashka.kz", city="Алматы"),
    ]  # fmt: skip
    clusters, pairs = resolve(person_table(rows), "persons")
    cluster_of = {r["record_key"]: r["cluster_id"] for r in clusters.to_pylist()}
    assert (
        cluster_of["crm:contacts:almaty:1"] == cluster_of["onec:contact_persons:00-7"]
    )
    assert len({cluster_of[k] for k in cluster_of}) == 3
    assert {"match_probability", "mw_name_core", "decision"} <= set(pairs.column_names)
    # the colleagues, if scored at all, are never a match
    colleagues = {"crm:contacts:almaty:2", "crm:contacts:almaty:3"}
    for pair in pairs.to_pylist():
        if {pair["record_key_l"], pair["record_key_r"]} & colleagues:
            assert pair["decision"] == "review", pair


def test_the_organisation_model_joins_legal_form_and_script_variants():
    rows = [
        organisation("crm:companies:almaty:2", "ТОО «Достык Инвест»",
                     phones=["+77272940037"], city="Алматы"),
        organisation("onec:counterparties:00-3", "Dostyk Invest LLP",
                     phones=["+77272940037"], city="Алматы"),
        organisation("crm:companies:astana:9", "АО «Сарыарка Фуд»",
                     phones=["+77172797185"], city="Астана"),
    ]  # fmt: skip
    clusters, _ = resolve(organisation_table(rows), "organisations")
    cluster_of = {r["record_key"]: r["cluster_id"] for r in clusters.to_pylist()}
    assert (
        cluster_of["crm:companies:almaty:2"] == cluster_of["onec:counterparties:00-3"]
    )
    assert cluster_of["crm:companies:astana:9"] == "crm:companies:astana:9"


def test_the_prior_falls_with_the_size_of_the_batch():
    model = json.loads(model_path("persons").read_text())
    trained_on = model[RECORDS_KEY]
    prior = model[PRIOR_KEY]
    # Splink never sees our own key
    assert RECORDS_KEY not in model_for(model, trained_on)
    assert model_for(model, trained_on)[PRIOR_KEY] == pytest.approx(prior)
    # ten times the records: each has as many duplicates, among ten times the pairs
    ten_times = model_for(model, 10 * trained_on - 9)[PRIOR_KEY]
    assert ten_times == pytest.approx(prior / 10)
    # a tiny batch raises it, never above the cap
    assert model_for(model, 2)[PRIOR_KEY] == MAX_PRIOR
    # a model without its record count is used as trained
    del model[RECORDS_KEY]
    assert model_for(model, 1_000_000)[PRIOR_KEY] == prior

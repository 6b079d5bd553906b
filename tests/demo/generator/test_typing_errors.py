"""The harsh profile's slips: keyboard neighbours, look-alikes, sound-alikes."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from demo.generator import harsh, typing_errors

SEEDS = range(3000)


def _outcomes(function, text: str) -> Counter:
    return Counter(function(random.Random(seed), text) for seed in SEEDS)


@pytest.mark.parametrize(
    ("key", "same_row", "same_column"),
    [
        # ЙЦУКЕН: А lies between В and П, below К and Е, above С and М
        ("а", {"в", "п"}, {"к", "е", "с", "м"}),
        # QWERTY: f between d and g, below r and t, above c and v
        ("f", {"d", "g"}, {"r", "t", "c", "v"}),
        ("5", {"4", "6"}, set()),
    ],
)
def test_a_mistyped_key_is_a_keyboard_neighbour_at_febrls_rates(
    key: str, same_row: set[str], same_column: set[str]
) -> None:
    found = Counter()
    for seed in SEEDS:
        typed, how = typing_errors.mistyped_key(random.Random(seed), key)
        assert typed != key
        if how == "row":
            assert typed in same_row
        elif how == "column":
            assert typed in same_column
        found[how] += 1
    assert abs(found["row"] / len(SEEDS) - harsh.KEYBOARD_SAME_ROW_RATE) < 0.04
    if same_column:
        assert (
            abs(found["column"] / len(SEEDS) - harsh.KEYBOARD_SAME_COLUMN_RATE) < 0.04
        )
    else:  # digits have no column neighbours: any other digit instead
        assert found["column"] == 0


def test_a_mistyped_capital_stays_a_capital_and_kazakh_letters_use_russian_keys() -> (
    None
):
    for seed in SEEDS:
        typed, _ = typing_errors.mistyped_key(random.Random(seed), "Қ")
        assert typed.isupper() and typed != "К"
        assert typed.encode("cp1251")  # a Russian key: 1C can hold it


def test_typos_land_anywhere_in_the_value_including_the_first_letter() -> None:
    text = "Петров"
    changed_positions = Counter()
    for seed in SEEDS:
        typed, _ = typing_errors.substitute(random.Random(seed), text)
        assert len(typed) == len(text)
        (position,) = [i for i in range(len(text)) if typed[i] != text[i]]
        changed_positions[position] += 1
    assert set(changed_positions) == set(range(len(text)))
    assert all(typed[0].isupper() for typed in _outcomes(typing_errors.insert, text))


def test_insert_delete_and_transpose_change_one_letter() -> None:
    for typed in _outcomes(typing_errors.insert, "Петров"):
        assert len(typed) == 7 and typed[0] == "П"
    for typed in _outcomes(typing_errors.delete, "Петров"):
        assert len(typed) == 5
    assert typing_errors.delete(random.Random(1), "Ы") is None  # never emptied
    transposed = _outcomes(typing_errors.transpose, "Петров")
    assert "Ептров" in transposed and "Петорв" in transposed
    assert all(typed[0].isupper() and typed[1:].islower() for typed in transposed)


def test_ocr_reads_look_alike_characters() -> None:
    assert typing_errors.ocr(random.Random(1), "О") == "0"
    assert typing_errors.ocr(random.Random(1), "m") == "rn"
    read = _outcomes(typing_errors.ocr, "Bolat")
    assert {"8olat", "Bo1at", "BoIat", "B0lat"} <= set(read)
    assert typing_errors.ocr(random.Random(1), "йй") is None


@pytest.mark.parametrize(
    ("name", "sound_alikes"),
    [
        ("Мухамедов", {"Мухамидов", "Мухамедоф", "Мухаммедов", "Мухамедав"}),
        ("Жанна", {"Джанна", "Жана"}),
        ("Dmitriy", {"Dmitry", "Dmitrii"}),
        ("Zhanna", {"Janna", "Zhana"}),
    ],
)
def test_phonetic_variants_are_sound_alikes_with_the_capital_kept(
    name: str, sound_alikes: set[str]
) -> None:
    written = _outcomes(typing_errors.phonetic, name)
    assert sound_alikes <= set(written)
    assert name not in written
    assert all(variant[0].isupper() for variant in written)


def test_every_kind_of_modification_happens_at_its_documented_share() -> None:
    kinds = Counter(
        typing_errors.modify_text(random.Random(seed), "Байтурсынова")[1]
        for seed in range(20_000)
    )
    for kind, weight in harsh.TEXT_MODIFICATION_WEIGHTS:
        assert abs(kinds[kind] / 20_000 - weight) < 0.015, kind


def test_a_phone_digit_typo_stays_in_the_subscriber_number_and_its_format() -> None:
    phone = "+7 777 123 45 67"
    for seed in SEEDS:
        typed = typing_errors.digit_typo(random.Random(seed), phone, 0.5, 7)
        assert typed != phone
        assert [c for c in typed if not c.isdigit()] == [
            c for c in phone if not c.isdigit()
        ]
        assert typed[:6] == "+7 777"

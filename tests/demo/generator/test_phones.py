"""The phone book's numbers stay unique past the point where its counters wrap."""

from __future__ import annotations

import random

import pytest

from demo.generator import phones
from demo.generator.phones import PhoneBook


def test_mobiles_stay_unique_when_subscriber_numbers_come_round_again() -> None:
    # a small subscriber space stands in for the 10 million of a 5-million world
    book = PhoneBook(seed=3, mobile_subscribers=1_000)
    rng = random.Random(3)
    rounds = phones.MAX_MOBILE_ROUNDS
    numbers = [book.mobile(rng, russian_share=0.3) for _ in range(1_000 * rounds)]
    assert len(set(numbers)) == len(numbers)
    assert {len(number) for number in numbers} == {10}
    with pytest.raises(OverflowError):
        book.mobile(rng)


def test_switchboards_stay_unique_and_fall_back_to_mobiles_when_a_city_is_full() -> (
    None
):
    book = PhoneBook(seed=5, mobile_subscribers=100_000, landline_subscribers=100)
    rng = random.Random(5)
    cities = list(phones.LANDLINE_CODES)
    numbers = [book.landline(rng, rng.choice(cities)) for _ in range(3_000)]
    assert len(set(numbers)) == len(numbers)
    landlines = [n for n in numbers if n[:3] not in phones.KAZAKH_MOBILE_CODES]
    # every city's hundred numbers are given out before offices turn to mobiles
    assert len(landlines) > 900
    assert len(landlines) <= 100 * len(cities)


def test_the_first_round_is_what_the_counter_alone_gave() -> None:
    """Worlds under 5 million customers keep the numbers they always had."""
    book = PhoneBook(seed=42)
    rng = random.Random(42)
    offset = 42 * 7_654_321 % 10_000_000
    for counter in range(1, 200):
        number = book.mobile(rng)
        assert number[3:] == f"{(counter * 3_571_429 + offset) % 10_000_000:07d}"

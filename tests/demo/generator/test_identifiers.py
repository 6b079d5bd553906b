"""IIN/BIN checksums and the structure of generated numbers."""

from __future__ import annotations

import random
from datetime import date

from demo.generator import identifiers


def test_known_numbers_pass_and_fail_the_checksum() -> None:
    # weights 1..11 over 8501 1230 012 give 3; a published example IIN
    assert (
        identifiers.check_digit("85012300012")
        == sum(w * int(d) for w, d in zip(range(1, 12), "85012300012", strict=True))
        % 11
    )
    number = "85012300012" + str(identifiers.check_digit("85012300012"))
    assert identifiers.is_valid(number)
    assert not identifiers.is_valid(number[:-1] + str((int(number[-1]) + 1) % 10))
    assert not identifiers.is_valid("12345")
    assert not identifiers.is_valid("85012300012x")


def test_second_weights_are_used_when_the_first_pass_gives_ten() -> None:
    rng = random.Random(1)
    for _ in range(2000):
        body = "".join(str(rng.randrange(10)) for _ in range(11))
        digits = [int(c) for c in body]
        first = sum(w * d for w, d in zip(range(1, 12), digits, strict=True)) % 11
        if first != 10:
            continue
        second = (
            sum(
                w * d
                for w, d in zip(
                    (3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2), digits, strict=True
                )
            )
            % 11
        )
        assert identifiers.check_digit(body) == (None if second == 10 else second)


def test_iin_encodes_birth_date_century_and_sex() -> None:
    rng = random.Random(3)
    iin = identifiers.make_iin(rng, date(1985, 3, 7), female=True)
    assert iin[:6] == "850307" and iin[6] == "4" and identifiers.is_valid(iin)
    iin = identifiers.make_iin(rng, date(2003, 12, 1), female=False)
    assert iin[:6] == "031201" and iin[6] == "5" and identifiers.is_valid(iin)


def test_bin_encodes_registration_month_and_kind() -> None:
    rng = random.Random(4)
    for _ in range(200):
        number = identifiers.make_bin(rng, date(2014, 6, 20))
        assert number[:4] == "1406"
        assert number[4] in "456" and number[5] in "0123"
        assert identifiers.is_valid(number)


def test_mistyped_numbers_always_fail() -> None:
    rng = random.Random(5)
    for _ in range(500):
        good = identifiers.make_iin(rng, date(1990, 1, 1), female=False)
        bad = identifiers.mistype(rng, good)
        assert bad != good and len(bad) == 12 and not identifiers.is_valid(bad)

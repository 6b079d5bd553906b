"""Kazakhstan's IIN (persons) and BIN (legal entities): build, check, mistype."""

from __future__ import annotations

import random
from datetime import date

from demo.generator.draws import below, between, pick

_WEIGHTS_FIRST = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11)
_WEIGHTS_SECOND = (3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2)


def check_digit(first_eleven: str) -> int | None:
    """The 12th digit for these 11, or None when none exists (never issued)."""
    digits = [ord(c) - 48 for c in first_eleven]
    total = sum(w * d for w, d in zip(_WEIGHTS_FIRST, digits, strict=True)) % 11
    if total == 10:
        total = sum(w * d for w, d in zip(_WEIGHTS_SECOND, digits, strict=True)) % 11
        if total == 10:
            return None
    return total


def is_valid(number: str) -> bool:
    """True for 12 digits whose last digit is the checksum of the first eleven."""
    if len(number) != 12 or not number.isdigit():
        return False
    return check_digit(number[:11]) == ord(number[11]) - 48


def _complete(rng: random.Random, prefix: str) -> str:
    # draw the serial part until the number has a check digit (about 1 in 11 has none)
    while True:
        width = 11 - len(prefix)
        body = f"{prefix}{below(rng, 10**width):0{width}d}"
        digit = check_digit(body)
        if digit is not None:
            return body + str(digit)


def make_iin(rng: random.Random, birth: date, female: bool) -> str:
    """A valid IIN: YYMMDD, century+sex digit (3/4 1900s, 5/6 2000s), serial."""
    century = 3 if birth.year < 2000 else 5
    prefix = f"{birth:%y%m%d}{century + female}"
    return _complete(rng, prefix)


def make_bin(rng: random.Random, registered: date) -> str:
    """A valid BIN: YYMM of registration, kind 4/5/6, a 0..3 digit, serial."""
    prefix = f"{registered:%y%m}{pick(rng, '456')}{below(rng, 4)}"
    return _complete(rng, prefix)


def mistype(rng: random.Random, number: str) -> str:
    """The same number with one digit changed or two swapped, failing its checksum."""
    while True:
        position = below(rng, 11)
        if rng.random() < 0.5:
            digits = list(number)
            digits[position], digits[position + 1] = (
                digits[position + 1],
                digits[position],
            )
            wrong = "".join(digits)
        else:
            new_digit = str((ord(number[position]) - 48 + between(rng, 1, 10)) % 10)
            wrong = number[:position] + new_digit + number[position + 1 :]
        # a swap of equal digits or a lucky change may still pass: try again
        if not is_valid(wrong):
            return wrong

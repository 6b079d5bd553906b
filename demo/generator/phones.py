"""Phone numbers: unique mobiles and city landlines, in the forms people type them."""

from __future__ import annotations

import random

from demo.generator.draws import pick, weighted
from demo.generator.mess import PHONE_FORMAT_WEIGHTS

KAZAKH_MOBILE_CODES = [
    "700",
    "701",
    "702",
    "705",
    "707",
    "708",
    "747",
    "750",
    "751",
    "760",
    "761",
    "762",
    "763",
    "764",
    "771",
    "775",
    "776",
    "777",
    "778",
]
RUSSIAN_MOBILE_CODES = [
    "903",
    "905",
    "909",
    "912",
    "916",
    "925",
    "926",
    "950",
    "960",
    "985",
]
# city → dialling code; Almaty's is 3 digits (7-digit subscribers), the others 4
LANDLINE_CODES = {
    "Алматы": "727",
    "Астана": "7172",
    "Шымкент": "7252",
    "Караганда": "7212",
    "Актобе": "7132",
    "Павлодар": "7182",
    "Усть-Каменогорск": "7232",
    "Атырау": "7122",
    "Костанай": "7142",
    "Тараз": "7262",
    "Кызылорда": "7242",
    "Талдыкорган": "7282",
}
_STYLES = tuple(style for style, _ in PHONE_FORMAT_WEIGHTS)
_STYLE_CUM_WEIGHTS = []
for _, _weight in PHONE_FORMAT_WEIGHTS:
    _STYLE_CUM_WEIGHTS.append(
        (_STYLE_CUM_WEIGHTS[-1] if _STYLE_CUM_WEIGHTS else 0) + _weight
    )
# multipliers coprime with 10: counter → subscriber number is then a bijection,
# so numbers never collide by accident (an accidental shared phone would be
# mess nobody documented)
_SPREAD_7 = 3_571_429
_SPREAD_6 = 571_429
MOBILE_SUBSCRIBERS = 10_000_000  # 7 digits after the operator code
LANDLINE_SUBSCRIBERS = 1_000_000  # 6 digits after the city code (and Almaty's 2)
# a subscriber number comes round again after MOBILE_SUBSCRIBERS mobiles; each
# round takes the code that many places after the first round's, which stays
# unique for as many rounds as the shorter code list is long
MAX_MOBILE_ROUNDS = min(len(KAZAKH_MOBILE_CODES), len(RUSSIAN_MOBILE_CODES))
_CITY_BIT = {city: 1 << place for place, city in enumerate(LANDLINE_CODES)}


class PhoneBook:
    """Hands out numbers that are unique within one generated world.

    Up to 10 million mobiles (about 5 million customers) and a million
    switchboards (about 1.4 million customers) the counter alone keeps them
    apart; past that a subscriber number comes round again, and what the first
    rounds gave out is remembered (a byte or two per subscriber number, not per
    customer) so that a later round never repeats a whole number.
    """

    def __init__(
        self,
        seed: int,
        mobile_subscribers: int = MOBILE_SUBSCRIBERS,
        landline_subscribers: int = LANDLINE_SUBSCRIBERS,
    ) -> None:
        self._offset = seed * 7_654_321 % 10_000_000
        self._mobile_counter = 0
        self._landline_counter = 0
        self._mobile_subscribers = mobile_subscribers
        self._landline_subscribers = landline_subscribers
        self._first_round_code = bytearray(mobile_subscribers)
        # per subscriber number, a bit for each city code that already holds it
        self._landline_cities = memoryview(bytearray(2 * landline_subscribers)).cast(
            "H"
        )

    def mobile(self, rng: random.Random, russian_share: float = 0.04) -> str:
        """A 10-digit national number: a Kazakh mobile, now and then a Russian one."""
        codes = (
            RUSSIAN_MOBILE_CODES
            if rng.random() < russian_share
            else KAZAKH_MOBILE_CODES
        )
        self._mobile_counter += 1
        round_ = (self._mobile_counter - 1) // self._mobile_subscribers
        subscriber = (
            self._mobile_counter * _SPREAD_7 + self._offset
        ) % self._mobile_subscribers
        code = int(rng.random() * len(codes))  # as pick() draws it
        if round_ == 0:
            self._first_round_code[subscriber] = code
        elif round_ < MAX_MOBILE_ROUNDS:
            code = (self._first_round_code[subscriber] + round_) % len(codes)
        else:
            raise OverflowError("the phone book has run out of mobile numbers")
        return f"{codes[code]}{subscriber:07d}"

    def landline(self, rng: random.Random, city: str) -> str:
        """An office switchboard in the city (Almaty +7 727 ..., Astana +7 7172 ...).

        When the city's number is already taken (only past a million
        switchboards), the office gives out a mobile instead, as small offices do.
        """
        code = LANDLINE_CODES.get(city, "727")
        bit = _CITY_BIT.get(city, _CITY_BIT["Алматы"])
        self._landline_counter += 1
        subscriber = (
            self._landline_counter * _SPREAD_6 + self._offset
        ) % self._landline_subscribers
        held = self._landline_cities[subscriber]
        if held & bit:
            return self.mobile(rng)
        self._landline_cities[subscriber] = held | bit
        lead = "2" if len(code) == 3 else ""
        return f"{code}{lead}{subscriber:06d}"


def random_mobile(rng: random.Random) -> str:
    """A number outside the PhoneBook's sequence (a changed number in an increment)."""
    return f"{pick(rng, KAZAKH_MOBILE_CODES)}{rng.randrange(10_000_000):07d}"


def typed(rng: random.Random, national: str) -> str:
    """The number as people type it: +7 777 123 45 67, 8 (777) 123-45-67, ..."""
    return format_as(weighted(rng, _STYLES, _STYLE_CUM_WEIGHTS), national)


def format_as(style: str, national: str) -> str:
    # Almaty and mobiles have a 3-digit code, the other cities a 4-digit one
    if national.startswith("7") and not national.startswith(
        ("70", "727", "747", "75", "76", "77")
    ):
        code, a, b, c = national[:4], national[4:6], national[6:8], national[8:]
        rest_spaced, rest_dashed, rest_run = f"{a} {b} {c}", f"{a}-{b}-{c}", a + b + c
    else:
        code, a, b, c = national[:3], national[3:6], national[6:8], national[8:]
        rest_spaced, rest_dashed, rest_run = (
            f"{a} {b} {c}",
            f"{a}-{b}-{c}",
            f"{a} {b}{c}",
        )
    if style == "+7 777 123 45 67":
        return f"+7 {code} {rest_spaced}"
    if style == "8 (777) 123-45-67":
        return f"8 ({code}) {rest_dashed}"
    if style == "87771234567":
        return "8" + national
    if style == "7771234567":
        return national
    if style == "+77771234567":
        return "+7" + national
    return f"8 {code} {rest_run}"


def international(national: str) -> str:
    """The form Bitrix24's phone widget and the help desk store: +7 777 123 45 67."""
    return format_as("+7 777 123 45 67", national)


def national_digits(text: str) -> str:
    """Any typed form back to the 10-digit national number (for tests and tallies)."""
    digits = "".join(ch for ch in text if ch.isdigit())
    return digits[-10:] if len(digits) >= 10 else digits

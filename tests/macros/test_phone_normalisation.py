"""normalize_phone and phone_is_valid agree with libphonenumber (`phonenumbers`)."""

from __future__ import annotations

import random
import re
from pathlib import Path

import duckdb
import phonenumbers
import pytest
from phonenumbers import PhoneMetadata

from tests.landed_company import PROJECT_DIR, run_dbt

KAZAKH_MOBILE = ["700", "701", "702", "705", "707", "708", "747", "750", "751"]
KAZAKH_MOBILE += ["760", "761", "762", "763", "764", "771", "775", "776", "777", "778"]
KAZAKH_CITY = ["727", "7172", "7252", "7212", "7132", "7182", "7232", "7122", "7262"]
RUSSIAN = ["903", "912", "916", "925", "950", "985", "495", "499", "812", "343", "383"]
EXTENSIONS = [" доб. 123", " доб 5", ", доб. 45", " ext 12", " ext. 7", " x12", " #101"]
GARBAGE = ["", " ", "-", "0", "нет", "n/a", "не звонить", "x12", "доб. 12", "+", "()"]
GARBAGE += ["+1 234", "00 44", "+44 1234 5678 9012 3456", "+0 123 456 789"]
# other countries, with an international prefix: kept in E.164
FOREIGN = ["+1 212 555 0123", "+44 20 7946 0958", "+86 10 1234 5678"]
FOREIGN += ["0044 20 7946 0958", "+61 2 9876 5432", "+49 30 123456"]
FOREIGN += ["+44 (0)20 7946 0958", "0049 (0)30 123456", "+998 90 123 45 67"]
# the two countries of +7 typed with "00" are read like "+7"
FOREIGN += ["007 777 123 45 67", "00 7 916 336 92 89"]
# regions whose example numbers are also written with the trunk "(0)"
TRUNK_ZERO_REGIONS = ("GB", "DE", "AT", "CH", "AU", "NL")


def _national(rng: random.Random) -> str:
    kind = rng.random()
    if kind < 0.45:
        return rng.choice(KAZAKH_MOBILE) + f"{rng.randrange(10**7):07d}"
    if kind < 0.65:
        code = rng.choice(KAZAKH_CITY)
        return code + f"{rng.randrange(10 ** (10 - len(code))):0{10 - len(code)}d}"
    if kind < 0.8:
        return rng.choice(RUSSIAN) + f"{rng.randrange(10**7):07d}"
    # anything at all: other leading digits, numbers nobody has issued
    return f"{rng.randrange(10**10):010d}"


def _typed(rng: random.Random, national: str) -> str:
    """The forms in docs/landing_formats.md and a few more people type."""
    code, rest = (
        (national[:3], national[3:])
        if rng.random() < 0.6
        else (
            national[:4],
            national[4:],
        )
    )
    a, b, c = rest[:-4], rest[-4:-2], rest[-2:]
    forms = [
        f"+7 {code} {a} {b} {c}",
        f"8 ({code}) {a}-{b}-{c}",
        f"8{national}",
        national,
        f"+7{national}",
        f"8 {code} {a}{b}{c}",
        f"+7 ({code}) {a}-{b}-{c}",
        f"7{national}",
        f"8-{code}-{a}-{b}-{c}",
        f"  +7 {national}  ",
        f"тел. 8 {national}",
    ]
    return rng.choice(forms)


def _foreign_examples() -> list[str]:
    """Every region's example numbers (libphonenumber's own), as people write them
    from abroad: "+CC ...", "00CC ...", "+CC (0)..." where a trunk zero exists."""
    values = []
    for region in sorted(phonenumbers.SUPPORTED_REGIONS - {"KZ", "RU"}):
        for kind in (
            phonenumbers.PhoneNumberType.FIXED_LINE,
            phonenumbers.PhoneNumberType.MOBILE,
        ):
            example = phonenumbers.example_number_for_type(region, kind)
            if example is None:
                continue
            written = phonenumbers.format_number(
                example, phonenumbers.PhoneNumberFormat.INTERNATIONAL
            )
            values += [written, "00" + written[1:]]
            if region in TRUNK_ZERO_REGIONS:
                code, rest = written.split(" ", 1)
                values.append(f"{code} (0){rest}")
    return values


def _inputs() -> list[str]:
    rng = random.Random(20250301)
    values = [*GARBAGE, *FOREIGN, *_foreign_examples()]
    for _ in range(3000):
        national = _national(rng)
        text = _typed(rng, national)
        roll = rng.random()
        if roll < 0.1:
            text += rng.choice(EXTENSIONS)
        elif roll < 0.15:
            text = text[: -rng.randint(1, 3)]  # a digit or three missing
        elif roll < 0.2:
            text += str(rng.randrange(10))  # one digit too many
        elif roll < 0.23:
            text = f"{rng.randrange(10 ** rng.randint(1, 9))}"  # short
        elif roll < 0.25:
            text = f"{rng.randrange(10**14, 10**15)}"  # long
        values.append(text)
    return values


def _oracle(raw: str) -> tuple[str | None, bool | None]:
    """What libphonenumber says: (E.164 or None, valid?) for region KZ.

    Valid +7 numbers give their E.164. A number libphonenumber parses as +7 with a
    10-digit national number starting 3, 4, 6, 7, 8 or 9 but cannot place in the
    numbering plan keeps its E.164 with valid = False (it still identifies its
    owner). A number of another country, typed with "+" or "00" (which region KZ
    does not read as a prefix: its own is 8~10, so "00" is turned into "+" first),
    keeps its E.164 when it has 8 to 15 digits, and counts as valid: its country's
    plan is not checked. Everything else gives None.
    """
    if raw.strip() == "":
        return None, None
    text = raw.strip()
    if text.startswith("00"):
        text = "+" + text[2:]
    try:
        number = phonenumbers.parse(text, "KZ")
    except phonenumbers.NumberParseException:
        return None, False
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    if number.country_code != 7:
        if text.startswith("+") and 8 <= len(e164) - 1 <= 15:
            return e164, True
        return None, False
    valid = phonenumbers.is_valid_number(number)
    national = str(number.national_number)
    if valid or re.fullmatch(r"[346789]\d{9}", national):
        return e164, valid
    return None, False


@pytest.fixture(scope="module")
def macro_results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple]:
    """Compile the macros once with dbt, then run the SQL over all inputs in DuckDB."""
    root = tmp_path_factory.mktemp("phone_macro")
    inline = (
        "select raw_phone, {{ normalize_phone('raw_phone') }} as e164, "
        "{{ phone_is_valid('raw_phone') }} as is_valid from phone_inputs"
    )
    compiled = run_dbt(
        ["compile", "--inline", inline], root / "warehouse.duckdb", root / "target"
    )
    assert compiled.success, compiled.exception
    sql = compiled.result.results[0].node.compiled_code
    inputs = _inputs()
    with duckdb.connect() as connection:
        connection.execute("create table phone_inputs (raw_phone varchar)")
        connection.executemany(
            "insert into phone_inputs values (?)", [[v] for v in inputs]
        )
        rows = connection.execute(sql).fetchall()
    return {raw: (e164, is_valid) for raw, e164, is_valid in rows}


def test_macro_agrees_with_libphonenumber_on_every_input(macro_results):
    disagreements = {
        raw: {"macro": got, "phonenumbers": _oracle(raw)}
        for raw, got in macro_results.items()
        if got != _oracle(raw)
    }
    assert disagreements == {}


def test_inputs_cover_valid_invalid_and_garbage(macro_results):
    verdicts = [_oracle(raw) for raw in macro_results]
    valid = sum(1 for _, ok in verdicts if ok)
    kept_but_invalid = sum(1 for e164, ok in verdicts if e164 and ok is False)
    rejected = sum(1 for e164, _ in verdicts if e164 is None)
    foreign = sum(1 for e164, _ in verdicts if e164 and not e164.startswith("+7"))
    assert valid > 1000 and kept_but_invalid > 100 and rejected > 300
    assert foreign > 600


def test_foreign_numbers_are_kept_in_e164(macro_results):
    assert {raw: macro_results[raw][0] for raw in FOREIGN} == {
        "+1 212 555 0123": "+12125550123",
        "+44 20 7946 0958": "+442079460958",
        "+86 10 1234 5678": "+861012345678",
        "0044 20 7946 0958": "+442079460958",
        "+61 2 9876 5432": "+61298765432",
        "+49 30 123456": "+4930123456",
        "+44 (0)20 7946 0958": "+442079460958",
        "0049 (0)30 123456": "+4930123456",
        "+998 90 123 45 67": "+998901234567",
        "007 777 123 45 67": "+77771234567",
        "00 7 916 336 92 89": "+79163369289",
    }
    # every region's valid example numbers: phonenumbers and the macro agree on
    # validity too, wherever the number has E.164's 8 to 15 digits
    for raw in _foreign_examples():
        number = phonenumbers.parse("+" + raw[2:] if raw.startswith("00") else raw)
        e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        if 8 <= len(e164) - 1 <= 15:
            assert macro_results[raw] == (e164, phonenumbers.is_valid_number(number))


def test_a_foreign_number_without_an_international_prefix_is_not_guessed(
    macro_results,
):
    # 20 7946 0958 is London only with +44 in front; read bare it is no number
    assert _oracle("20 7946 0958") == (None, False)
    assert macro_results.get("+1 234") == (None, False)


def test_extensions_are_stripped_before_normalising(macro_results):
    with_extension = [raw for raw in macro_results if "доб" in raw or "ext" in raw]
    assert any(macro_results[raw][0] for raw in with_extension)


def test_macro_patterns_match_the_installed_phonenumbers_metadata():
    """The number patterns copied into macros/phones.sql are libphonenumber's."""
    copied = Path(PROJECT_DIR, "macros", "phones.sql").read_text(encoding="utf-8")
    for region in ("KZ", "RU"):
        metadata = PhoneMetadata.metadata_for_region(region)
        for kind in ("fixed_line", "mobile", "toll_free", "premium_rate"):
            description = getattr(metadata, kind)
            pattern = description.national_number_pattern if description else None
            if pattern:
                assert f'"{region.lower()}_{kind}": "{pattern}"' in copied

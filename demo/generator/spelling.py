"""How someone at a keyboard types a true name, title or IIN/BIN into a record."""

from __future__ import annotations

import random

from demo.generator import identifiers, mess, names
from demo.generator.draws import pick, weighted
from demo.generator.report import Tally
from demo.generator.world import (
    LEGAL_FORM_FULL,
    LEGAL_FORM_LATIN,
    Organisation,
    Person,
)

_STYLES = tuple(style for style, _ in mess.ORGANISATION_TITLE_STYLE_WEIGHTS)
_STYLE_CUM: list[float] = []
for _style, _weight in mess.ORGANISATION_TITLE_STYLE_WEIGHTS:
    _STYLE_CUM.append((_STYLE_CUM[-1] if _STYLE_CUM else 0.0) + _weight)


def person_name(
    rng: random.Random, person: Person, tally: Tally, source: str
) -> tuple[str, str, str]:
    """(first, patronymic, last) as typed: Latin, flattened Kazakh letters, typos."""
    first, patronymic, last = person.first, person.patronymic, person.last
    if person.kazakh and names.has_kazakh_letters(first + last):
        flattened = rng.random() < mess.KAZAKH_LETTERS_FLATTENED_RATE
        tally.count("kazakh_letters_flattened", flattened)
        if flattened:
            first, patronymic, last = (
                names.flatten_kazakh(first),
                names.flatten_kazakh(patronymic),
                names.flatten_kazakh(last),
            )
    latin = rng.random() < mess.LATIN_SPELLING_RATE
    tally.count(f"{source}_latin_spelling", latin)
    if latin:
        first, last = names.transliterate(first), names.transliterate(last)
        # nobody types a patronymic in Latin
        patronymic = ""
    typo = rng.random() < mess.TYPO_RATE
    tally.count("name_typo", typo)
    if typo:
        if rng.random() < 0.5:
            last = names.with_typo(rng, last)
        else:
            first = names.with_typo(rng, first)
    return first, patronymic, last


def organisation_title(
    rng: random.Random, organisation: Organisation, tally: Tally
) -> str:
    """ТОО «Ромашка», ТОО Ромашка, "Ромашка" ТОО, Romashka LLP, ... the odd typo."""
    form, stem = organisation.form, organisation.stem
    typo = rng.random() < mess.TYPO_RATE
    tally.count("name_typo", typo)
    if typo:
        stem = names.with_typo(rng, stem)
    style = weighted(rng, _STYLES, _STYLE_CUM)
    tally.count("organisation_title_latin", style == "latin")
    if form == "ИП":
        # an ИП is named after its owner: ИП Петров Иван Сергеевич / IE Petrov Ivan
        if style == "latin":
            return f"{pick(rng, LEGAL_FORM_LATIN[form])} {names.transliterate(stem)}"
        if style in ("form_last", "no_form"):
            return f"{stem} ИП" if style == "form_last" else stem
        if style == "full_form":
            return f"{LEGAL_FORM_FULL[form]} {stem}"
        return f"ИП {stem}"
    if style == "guillemets":
        return f"{form} «{stem}»"
    if style == "quotes":
        return f'{form} "{stem}"'
    if style == "bare":
        return f"{form} {stem}"
    if style == "form_last":
        return f'"{stem}" {form}' if rng.random() < 0.5 else f"{stem} {form}"
    if style == "no_form":
        return stem
    if style == "full_form":
        return f"{LEGAL_FORM_FULL[form]} «{stem}»"
    latin_stem = names.transliterate(stem)
    suffix, prefix = LEGAL_FORM_LATIN[form]
    return f"{latin_stem} {suffix}" if rng.random() < 0.6 else f"{prefix} {latin_stem}"


def iin_bin(
    rng: random.Random, true_value: str, missing_rate: float, tally: Tally, source: str
) -> str:
    """The IIN/BIN as typed: empty at missing_rate, mistyped at INVALID_IIN_BIN_RATE."""
    if rng.random() < missing_rate:
        tally.count(f"{source}_iin_bin_missing", True)
        return ""
    tally.count(f"{source}_iin_bin_missing", False)
    invalid = rng.random() < mess.INVALID_IIN_BIN_RATE
    tally.count("iin_bin_invalid", invalid)
    return identifiers.mistype(rng, true_value) if invalid else true_value

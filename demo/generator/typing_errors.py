"""Typing, OCR and sound-alike errors in one value, Cyrillic and Latin alike."""

from __future__ import annotations

import random
import re

from demo.generator import harsh, names
from demo.generator.draws import below, pick, weighted

# the keys as they lie, each row staggered to the right of the one above
LATIN_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
CYRILLIC_ROWS = ("йцукенгшщзхъ", "фывапролджэ", "ячсмитьбю")
DIGIT_ROWS = ("1234567890",)
LATIN_LETTERS = "abcdefghijklmnopqrstuvwxyz"
CYRILLIC_LETTERS = "абвгдежзийклмнопрстуфхцчшщъыьэюя"
DIGITS = "0123456789"


def _neighbours(rows: tuple[str, ...]) -> tuple[dict[str, str], dict[str, str]]:
    """(same row, same column) neighbours of every key of a staggered layout."""
    same_row: dict[str, str] = {}
    same_column: dict[str, str] = {}
    for number, keys in enumerate(rows):
        for index, key in enumerate(keys):
            same_row[key] = (
                keys[max(0, index - 1) : index] + keys[index + 1 : index + 2]
            )
            column = ""
            if number > 0:  # a key sits below the key above it and its right-hand one
                column += rows[number - 1][index : index + 2]
            if number + 1 < len(rows):
                column += rows[number + 1][max(0, index - 1) : index + 1]
            same_column[key] = column
    return same_row, same_column


_SAME_ROW: dict[str, str] = {}
_SAME_COLUMN: dict[str, str] = {}
for _rows in (LATIN_ROWS, CYRILLIC_ROWS, DIGIT_ROWS):
    _row, _column = _neighbours(_rows)
    _SAME_ROW.update(_row)
    _SAME_COLUMN.update(_column)

# (true, read as): what a scanner or a tired eye makes of a character
OCR_CONFUSIONS = (
    ("0", "O"), ("O", "0"), ("o", "0"), ("1", "l"), ("l", "1"), ("I", "l"),
    ("l", "I"), ("1", "I"), ("rn", "m"), ("m", "rn"), ("cl", "d"), ("d", "cl"),
    ("vv", "w"), ("w", "vv"), ("nn", "m"), ("5", "S"), ("S", "5"), ("8", "B"),
    ("B", "8"), ("6", "b"), ("b", "6"), ("e", "c"), ("c", "e"), ("h", "b"),
    ("n", "h"), ("u", "v"), ("g", "9"), ("2", "Z"), ("Z", "2"),
    ("О", "0"), ("о", "0"), ("З", "3"), ("з", "3"), ("б", "6"), ("Б", "6"),
    ("ш", "щ"), ("щ", "ш"), ("Ш", "Щ"), ("Щ", "Ш"), ("и", "н"), ("н", "и"),
    ("и", "п"), ("п", "и"), ("л", "п"), ("п", "л"), ("т", "г"), ("г", "т"),
    ("ь", "ъ"), ("ъ", "ь"), ("е", "с"), ("с", "е"), ("ц", "щ"), ("ч", "4"),
    ("Ч", "4"), ("В", "8"), ("П", "Л"), ("Л", "П"), ("И", "Н"), ("Н", "И"),
)  # fmt: skip

# (pattern on the lower-cased value, replacement): how a name sounds when it is
# written down from hearing, or transliterated by another habit
PHONETIC_VARIANTS = tuple(
    (re.compile(pattern), replacement)
    for pattern, replacement in (
        # Russian and Kazakh in Cyrillic: unstressed vowels, voicing, doubling
        ("о", "а"), ("а", "о"), ("е", "и"), ("и", "е"), ("е", "э"), ("э", "е"),
        ("ё", "е"), ("ы", "и"), ("и", "ы"), ("й", "и"), (r"ий\b", "ый"),
        (r"ый\b", "ий"), ("тс", "ц"), ("ц", "тс"), ("ж", "дж"), ("дж", "ж"),
        ("х", "к"), ("к", "х"), ("щ", "ш"), ("ь", ""), ("ъ", "ь"),
        (r"д\b", "т"), (r"т\b", "д"), (r"б\b", "п"), (r"г\b", "к"), (r"з\b", "с"),
        (r"в\b", "ф"), (r"ж\b", "ш"),
        (r"([нлсмтрк])\1", r"\1"),
        (r"(?<=[аеиоуыэюя])([нлсм])(?=[аеиоуыэюя])", r"\1\1"),
        # Latin: transliteration habits and English spellings
        ("y", "i"), ("i", "y"), (r"iy\b", "ii"), (r"iy\b", "y"), (r"ii\b", "iy"),
        ("kh", "h"), (r"(?<![csz])h", "kh"), ("zh", "j"), ("j", "zh"), ("ya", "ia"),
        ("ia", "ya"), ("yu", "iu"), ("iu", "yu"), ("ye", "e"), (r"\be", "ye"),
        ("ts", "tz"), ("ks", "x"), ("x", "ks"), ("ph", "f"), ("f", "ph"),
        ("v", "w"), ("w", "v"), ("k", "q"), ("q", "k"), ("c", "k"), ("o", "a"),
        ("ou", "u"), ("sh", "ch"), ("ch", "tch"),
        (r"([lnsmtr])\1", r"\1"), (r"(?<=[aeiouy])([lnsm])(?=[aeiouy])", r"\1\1"),
    )
)  # fmt: skip

_TEXT_KINDS = tuple(kind for kind, _ in harsh.TEXT_MODIFICATION_WEIGHTS)
_TEXT_CUM: list[float] = []
for _kind, _weight in harsh.TEXT_MODIFICATION_WEIGHTS:
    _TEXT_CUM.append((_TEXT_CUM[-1] if _TEXT_CUM else 0.0) + _weight)


def _alphabet(char: str) -> str:
    if char.isdigit():
        return DIGITS
    if char.isascii():
        return LATIN_LETTERS
    return CYRILLIC_LETTERS


def mistyped_key(rng: random.Random, char: str) -> tuple[str, str]:
    """(key pressed instead of `char`, "row" / "column" / "any"), in its case."""
    # a Kazakh letter is typed on the Russian key of its look-alike (Қ on К)
    key = names.flatten_kazakh(char.lower())
    draw = rng.random()
    how = "any"
    choices = ""
    if draw < harsh.KEYBOARD_SAME_ROW_RATE:
        choices, how = _SAME_ROW.get(key, ""), "row"
    elif draw < harsh.KEYBOARD_SAME_ROW_RATE + harsh.KEYBOARD_SAME_COLUMN_RATE:
        choices, how = _SAME_COLUMN.get(key, ""), "column"
    if not choices:
        choices, how = _alphabet(key).replace(key, ""), "any"
    typed = pick(rng, choices)
    return (typed.upper() if char.isupper() else typed), how


def _positions(text: str) -> list[int]:
    return [index for index, char in enumerate(text) if char.isalnum()]


def substitute(rng: random.Random, text: str) -> tuple[str, str] | None:
    """One letter or digit replaced by another key; (new text, row/column/any)."""
    positions = _positions(text)
    if not positions:
        return None
    position = pick(rng, positions)
    typed, how = mistyped_key(rng, text[position])
    return text[:position] + typed + text[position + 1 :], how


def delete(rng: random.Random, text: str) -> str | None:
    """One letter or digit left out, anywhere (never the only one)."""
    positions = _positions(text)
    if len(positions) < 2:
        return None
    position = pick(rng, positions)
    return text[:position] + text[position + 1 :]


def insert(rng: random.Random, text: str) -> str | None:
    """A neighbouring key pressed as well, after any letter or digit."""
    positions = _positions(text)
    if not positions:
        return None
    position = pick(rng, positions)
    typed, _ = mistyped_key(rng, text[position])
    # the extra key takes the case of the text it lands in
    follower = text[position + 1 : position + 2] or text[position]
    typed = typed.upper() if follower.isupper() else typed.lower()
    return text[: position + 1] + typed + text[position + 1 :]


def transpose(rng: random.Random, text: str) -> str | None:
    """Two neighbouring letters or digits typed the other way round."""
    pairs = [
        index
        for index in range(len(text) - 1)
        if text[index].isalnum()
        and text[index + 1].isalnum()
        and text[index].lower() != text[index + 1].lower()
    ]
    if not pairs:
        return None
    index = pick(rng, pairs)
    first, second = text[index], text[index + 1]
    # Петров → Епетров would be a case slip too: keep the capital where it was
    new_first = second.upper() if first.isupper() else second.lower()
    new_second = first.upper() if second.isupper() else first.lower()
    return text[:index] + new_first + new_second + text[index + 2 :]


def ocr(rng: random.Random, text: str) -> str | None:
    """One character or pair read as its look-alike: 0/O, 1/l, rn/m, З/3."""
    matches = [
        (start, true, read)
        for true, read in OCR_CONFUSIONS
        for start in _occurrences(text, true)
    ]
    if not matches:
        return None
    start, true, read = pick(rng, matches)
    return text[:start] + read + text[start + len(true) :]


def phonetic(rng: random.Random, text: str) -> str | None:
    """One sound written another way: Мухамедов → Мухамидов, Dmitriy → Dmitry."""
    lower = text.lower()
    matches = [
        (match, replacement)
        for pattern, replacement in PHONETIC_VARIANTS
        for match in pattern.finditer(lower)
    ]
    if not matches:
        return None
    match, replacement = pick(rng, matches)
    start, end = match.span()
    written = match.expand(replacement)
    original = text[start:end]
    if original[:1].isupper():
        if len(original) > 1 and original.isupper():
            written = written.upper()
        else:
            written = written[:1].upper() + written[1:]
    return text[:start] + written + text[end:]


def _occurrences(text: str, part: str) -> list[int]:
    found, start = [], text.find(part)
    while start >= 0:
        found.append(start)
        start = text.find(part, start + 1)
    return found


def modify_text(rng: random.Random, text: str) -> tuple[str, str, str]:
    """One FEBRL-style modification: (new text, kind, keyboard neighbour kind).

    A kind that cannot apply (no sound-alike in the value, one letter only) falls
    back to a substitution, which always can; the kind returned is what happened.
    """
    kind = weighted(rng, _TEXT_KINDS, _TEXT_CUM)
    changed: str | None = None
    if kind == "phonetic":
        changed = phonetic(rng, text)
    elif kind == "ocr":
        changed = ocr(rng, text)
    elif kind == "delete":
        changed = delete(rng, text)
    elif kind == "insert":
        changed = insert(rng, text)
    elif kind == "transpose":
        changed = transpose(rng, text)
    if changed is not None and changed != text:
        return changed, kind, ""
    substituted = substitute(rng, text)
    if substituted is None:
        return text, "", ""
    return substituted[0], "substitute", substituted[1]


def digit_typo(
    rng: random.Random, text: str, substitute_share: float, last_digits: int = 0
) -> str:
    """One digit mistyped or two neighbouring digits swapped (a swap of equal
    digits becomes a mistyped one). `last_digits` limits it to the last n digits."""
    positions = [index for index, char in enumerate(text) if char.isdigit()]
    if last_digits:
        positions = positions[-last_digits:]
    if not positions:
        return text
    slot = below(rng, len(positions))
    if rng.random() >= substitute_share and slot + 1 < len(positions):
        here, there = positions[slot], positions[slot + 1]
        if text[here] != text[there]:
            chars = list(text)
            chars[here], chars[there] = chars[there], chars[here]
            return "".join(chars)
    position = positions[slot]
    typed, _ = mistyped_key(rng, text[position])
    return text[:position] + typed + text[position + 1 :]

"""The Splink model definition: comparisons and blocking rules per entity type.

Everything that says *what* is compared and *which* pairs are looked at lives here;
training (train.py) estimates the parameters, prediction (resolve.py) only reads the
trained JSON. The columns are the match keys built by features.build_match_table.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import splink.comparison_level_library as cll
import splink.comparison_library as cl
from splink import SettingsCreator, block_on
from splink.internals.blocking_rule_creator import BlockingRuleCreator

from customer360.identity.features import EntityType

UNIQUE_ID_COLUMN = "record_key"
# an EM pass that has not settled (largest change of a parameter below 0.0001, Splink's
# default) after this many iterations is reported as not converged
MAX_EM_ITERATIONS = 100


# Two name words are "close" at this Jaro-Winkler similarity of their phonetic keys:
# one typo in a word of five letters or more (kayla / kaila 0.89), a letter dropped
# or doubled, an ear's vowel (harington / harrington); two different names of the same
# start fall below it (aleksandr / aleksei 0.85).
NAME_WORD_SIMILARITY = 0.88


def _all_close(left: str, right: str) -> str:
    """Every word of `left` has a close word in `right` (Jaro-Winkler)."""
    return (
        f"len(list_filter({left}, lambda a: list_bool_or(list_transform({right},"
        f" lambda b: jaro_winkler_similarity(a, b) >= {NAME_WORD_SIMILARITY}))))"
        f" = len({left})"
    )


def _name_comparison(entity_type: EntityType) -> cl.CustomComparison:
    """The whole name, word by word and in any order: swapped first and last names,
    a missing word, a typo anywhere, Cyrillic typed by ear against Latin.

    Names repeat (Ахметов, Иванова): term frequencies make a rare exact name count
    for more than a common one.
    """
    left, right = "name_words_l", "name_words_r"
    same_count = f"len({left}) = len({right})"
    return cl.CustomComparison(
        output_column_name="name_core",
        comparison_levels=[
            cll.CustomLevel(f"{left} is null or {right} is null").configure(
                is_null_level=True
            ),
            cll.ExactMatchLevel("name_core").configure(
                tf_adjustment_column="name_core"
            ),
            cll.CustomLevel(
                "name_phonetic_l = name_phonetic_r",
                label_for_charts="the same name by sound",
            ),
            cll.CustomLevel(
                f"{same_count} and {_all_close(left, right)}"
                f" and {_all_close(right, left)}",
                label_for_charts="every word close",
            ),
            cll.CustomLevel(
                f"list_has_all({left}, {right}) or list_has_all({right}, {left})",
                label_for_charts="one name lacks a word",
            ),
            cll.CustomLevel(
                f"(len({left}) < len({right}) and {_all_close(left, right)})"
                f" or (len({right}) < len({left}) and {_all_close(right, left)})",
                label_for_charts="one name lacks a word, the rest close",
            ),
            cll.CustomLevel(
                f"len(list_intersect({left}, {right})) > 0",
                label_for_charts="a word in common, another different",
            ),
            cll.CustomLevel(
                f"list_bool_or(list_transform({left}, lambda a: list_bool_or("
                f"list_transform({right}, lambda b: jaro_winkler_similarity(a, b)"
                f" >= {NAME_WORD_SIMILARITY}))))",
                label_for_charts="a word close, another different",
            ),
            # a word split or run together, typos in every word: the letters
            # without spaces still read alike
            cll.CustomLevel(
                "jaro_winkler_similarity(replace(name_phonetic_l, ' ', ''),"
                " replace(name_phonetic_r, ' ', '')) >= 0.85",
                label_for_charts="spelled alike as a whole",
            ),
            cll.ElseLevel(),
        ],
    )


def _phone_comparison() -> cl.CustomComparison:
    # a shared number (switchboard, family phone) is much weaker evidence than a
    # personal one, so the two get their own levels
    return cl.CustomComparison(
        output_column_name="phones",
        comparison_levels=[
            cll.CustomLevel(
                "len(coalesce(phones_all_l, [])) = 0"
                " or len(coalesce(phones_all_r, [])) = 0"
            ).configure(is_null_level=True),
            cll.CustomLevel(
                "len(list_intersect(phones_private_l, phones_private_r)) > 0",
                label_for_charts="a personal number in common",
            ),
            cll.CustomLevel(
                "len(list_intersect(phones_all_l, phones_all_r)) > 0",
                label_for_charts="a shared number in common",
            ),
            cll.ElseLevel(),
        ],
    )


def _birth_date_comparison() -> cl.CustomComparison:
    """Dates of birth as people mistype them: one digit, two digits swapped, day and
    month the other way round (03.02 for 02.03)."""
    return cl.CustomComparison(
        output_column_name="birth_date",
        comparison_levels=[
            cll.NullLevel("birth_date"),
            cll.ExactMatchLevel("birth_date"),
            cll.CustomLevel(
                "damerau_levenshtein(birth_digits_l, birth_digits_r) <= 1",
                label_for_charts="one digit typed wrong or two swapped",
            ),
            cll.CustomLevel(
                "year(birth_date_l) = year(birth_date_r)"
                " and month(birth_date_l) = day(birth_date_r)"
                " and day(birth_date_l) = month(birth_date_r)",
                label_for_charts="day and month swapped",
            ),
            cll.CustomLevel(
                "abs(date_diff('day', birth_date_l, birth_date_r)) <= 366",
                label_for_charts="within a year",
            ),
            cll.ElseLevel(),
        ],
    )


def _place_comparison(column: str) -> cl.CustomComparison:
    """A postcode: the same (frequent ones count for less), one typo, other."""
    return cl.CustomComparison(
        output_column_name=column,
        comparison_levels=[
            cll.NullLevel(column),
            cll.ExactMatchLevel(column).configure(tf_adjustment_column=column),
            cll.DamerauLevenshteinLevel(column, 1),
            cll.ElseLevel(),
        ],
    )


def _city_comparison() -> cl.CustomComparison:
    """A city by its phonetic key: the same (big cities count for less), a typo or
    another ear's spelling (Уэстмид / Westmead), other."""
    return cl.CustomComparison(
        output_column_name="city",
        comparison_levels=[
            cll.NullLevel("city"),
            cll.ExactMatchLevel("city").configure(tf_adjustment_column="city"),
            cll.JaroWinklerLevel("city", 0.88),
            cll.ElseLevel(),
        ],
    )


def _street_comparison() -> cl.CustomComparison:
    """The street's own words (street-type words, the city and numbers taken out),
    word by word like a name: systems order and abbreviate them differently."""
    left = "string_split(street_l, ' ')"
    right = "string_split(street_r, ' ')"
    return cl.CustomComparison(
        output_column_name="street",
        comparison_levels=[
            cll.NullLevel("street"),
            cll.ExactMatchLevel("street"),
            cll.CustomLevel(
                f"len({left}) = len({right}) and {_all_close(left, right)}"
                f" and {_all_close(right, left)}",
                label_for_charts="every word close",
            ),
            cll.CustomLevel(
                f"len(list_intersect({left}, {right})) > 0",
                label_for_charts="a word in common",
            ),
            cll.CustomLevel(
                f"list_bool_or(list_transform({left}, lambda a: list_bool_or("
                f"list_transform({right}, lambda b: jaro_winkler_similarity(a, b)"
                f" >= {NAME_WORD_SIMILARITY}))))",
                label_for_charts="a word close",
            ),
            cll.ElseLevel(),
        ],
    )


def _house_number_comparison() -> cl.CustomComparison:
    return cl.CustomComparison(
        output_column_name="house_numbers",
        comparison_levels=[
            cll.CustomLevel(
                "house_numbers_l is null or house_numbers_r is null"
            ).configure(is_null_level=True),
            cll.CustomLevel(
                "list_sort(house_numbers_l) = list_sort(house_numbers_r)",
                label_for_charts="the same numbers",
            ),
            cll.CustomLevel(
                "len(list_intersect(house_numbers_l, house_numbers_r)) > 0",
                label_for_charts="a number in common",
            ),
            cll.ElseLevel(),
        ],
    )


def _exact_with_tf(column: str) -> cl.CustomComparison:
    return cl.CustomComparison(
        output_column_name=column,
        comparison_levels=[
            cll.NullLevel(column),
            cll.ExactMatchLevel(column).configure(tf_adjustment_column=column),
            cll.ElseLevel(),
        ],
    )


def _address_comparisons() -> list[cl.CustomComparison]:
    return [
        _city_comparison(),
        _place_comparison("postcode"),
        _street_comparison(),
        _house_number_comparison(),
    ]


def person_comparisons() -> list[cl.CustomComparison | Any]:
    return [
        _name_comparison("persons"),
        cl.CustomComparison(
            output_column_name="patronymic",
            comparison_levels=[
                cll.NullLevel("patronymic"),
                cll.ExactMatchLevel("patronymic"),
                cll.JaroWinklerLevel("patronymic", 0.9),
                cll.ElseLevel(),
            ],
        ),
        _phone_comparison(),
        cl.CustomComparison(
            output_column_name="email",
            comparison_levels=[
                cll.CustomLevel(
                    "coalesce(email_personal_l, email_generic_l) is null"
                    " or coalesce(email_personal_r, email_generic_r) is null"
                ).configure(is_null_level=True),
                cll.ExactMatchLevel("email_personal"),
                # info@ / buh@ is the office's box: colleagues share it
                cll.ExactMatchLevel("email_generic"),
                cll.ElseLevel(),
            ],
        ),
        cl.ExactMatch("iin_valid"),
        _birth_date_comparison(),
        *_address_comparisons(),
    ]


def _organisation_name_comparison() -> cl.CustomComparison:
    # the title without its legal form, one word (spaces dropped in dbt), folded
    return cl.CustomComparison(
        output_column_name="name_core",
        comparison_levels=[
            cll.NullLevel("name_core"),
            cll.ExactMatchLevel("name_core").configure(
                tf_adjustment_column="name_core"
            ),
            cll.DamerauLevenshteinLevel("name_core", 1),
            cll.JaroWinklerLevel("name_core", 0.93),
            cll.JaroWinklerLevel("name_core", 0.85),
            cll.ElseLevel(),
        ],
    )


def organisation_comparisons() -> list[cl.CustomComparison | Any]:
    return [
        _organisation_name_comparison(),
        _phone_comparison(),
        cl.ExactMatch("email_company"),
        _exact_with_tf("email_domain_private"),
        cl.ExactMatch("bin_valid"),
        *_address_comparisons(),
    ]


@dataclass(frozen=True)
class BlockingKey:
    """A key that lets one kind of record meet its duplicates: records sharing it
    are scored as pairs. `sql` is an expression over the match table giving a text
    (or, with `is_list`, a list of texts: records sharing any element meet)."""

    name: str
    sql: str
    is_list: bool = False
    why: str = ""

    @property
    def column(self) -> str:
        return f"block_{self.name}"


# A key value carried by more records than this is left out of that key (block
# purging): its block would make n^2/2 pairs, and its records still meet through
# the finer keys. Common names show why: at 100,000 demo customers, "the same name"
# alone made 6.6 million comparisons and grows with the square of the company, while
# "the same name in the same city" or "with the same birth year" stays small. A key
# whose blocks are all below the limit (every key on FEBRL, most keys on the demo)
# is not touched.
MAX_BLOCK_RECORDS = 100

_NAME_WITH = "name_phonetic || '|' || "
PERSON_BLOCKING_KEYS: list[BlockingKey] = [
    BlockingKey("name", "name_phonetic", why="the same name by sound"),
    BlockingKey("name_city", _NAME_WITH + "city", why="a common name, one city"),
    BlockingKey(
        "name_birth_year",
        _NAME_WITH + "cast(year(birth_date) as varchar)",
        why="a common name, one birth year",
    ),
    BlockingKey("phone", "phones_all", is_list=True, why="a phone number"),
    BlockingKey("email", "email_personal", why="a personal mailbox"),
    BlockingKey("iin", "iin_valid", why="an IIN"),
    BlockingKey(
        "birth_date", "cast(birth_date as varchar)", why="a name spelled apart"
    ),
    # names spelled apart in one city: the first two letters of each name word.
    # Was the first three letters of the name + city, which at 1,000,000 records made
    # 135 million of the 216 million comparisons for 26 matches in 100,000 customers
    BlockingKey(
        "coarse_name_city", "coarse_name || '|' || city", why="a typo in a name"
    ),
    BlockingKey("address", "address_key", why="name and birth date both mistyped"),
    BlockingKey(
        "postcode_house",
        "postcode || '|' || house_numbers[1]",
        why="the street mistyped or written another way too",
    ),
    BlockingKey(
        "name_word_postcode",
        "list_transform(name_words, lambda w: w || '|' || postcode)",
        is_list=True,
        why="one name word replaced, the street mistyped",
    ),
    BlockingKey(
        "name_sound_postcode",
        "list_transform(name_words, lambda w: regexp_replace(w, '[aeiou]', '', 'g')"
        " || '|' || postcode)",
        is_list=True,
        why="every name word misspelled by ear (vowels differ), same postcode",
    ),
    BlockingKey(
        "house_town",
        "house_numbers[1] || '|' || substr(city, 1, 3)",
        why="name, street and postcode all mistyped: one house number in one town",
    ),
    BlockingKey(
        "name_word_house",
        "list_transform(name_words, lambda w: w || '|' || city || '|'"
        " || house_numbers[1])",
        is_list=True,
        why="one name word replaced, postcode mistyped",
    ),
]
ORGANISATION_BLOCKING_KEYS: list[BlockingKey] = [
    BlockingKey("name", "name_core", why="the same title"),
    BlockingKey("name_city", "name_core || '|' || city", why="a common title"),
    BlockingKey("phone", "phones_all", is_list=True, why="a phone number"),
    BlockingKey("email", "email_company", why="the company's mailbox"),
    BlockingKey("domain", "email_domain_private", why="the company's mail domain"),
    BlockingKey("bin", "bin_valid", why="a BIN"),
    # titles spelled apart at one address. Was the first four letters + city alone:
    # 19 million of the 20 million comparisons at 100,000 customers, for 20 matches
    BlockingKey(
        "name_start_street",
        "substr(name_core, 1, 4) || '|' || city || '|' || substr(street, 1, 6)",
        why="a title spelled apart",
    ),
    BlockingKey("address", "address_key", why="a title and mailbox both changed"),
]


def blocking_keys(entity_type: EntityType) -> list[BlockingKey]:
    if entity_type == "persons":
        return PERSON_BLOCKING_KEYS
    return ORGANISATION_BLOCKING_KEYS


def _prediction_rules(entity_type: EntityType) -> list[BlockingRuleCreator]:
    return [
        block_on(key.column, arrays_to_explode=[key.column])
        if key.is_list
        else block_on(key.column)
        for key in blocking_keys(entity_type)
    ]


# EM passes, in order; each estimates the m of every comparison its blocking rule does
# not use, so together they cover all comparisons. A pass whose rule finds no pairs in
# a company's data (no phones at all) is skipped; the comparisons it would have
# estimated keep the values of the other passes or of the starting model.
PERSON_TRAINING_BLOCKING: list[BlockingRuleCreator] = [
    block_on("name_phonetic"),
    block_on("birth_date"),
    block_on("phone_first"),
    block_on("postcode", "street"),
]
ORGANISATION_TRAINING_BLOCKING: list[BlockingRuleCreator] = [
    block_on("name_core"),
    block_on("phone_first"),
    block_on("city", "substr(street, 1, 6)"),
]


# The levels that say something about the one person or organisation behind a record,
# not about its office, family or street: a pair whose names share nothing, not even
# approximately, is merged on the score alone only when one of these agrees
# (colleagues share a switchboard, an office mailbox and an address; a true pair
# whose name was retyped from scratch keeps its birth date or its own number).
IDENTIFYING_LEVELS: dict[EntityType, dict[str, tuple[str, ...]]] = {
    "persons": {
        "birth_date": (
            "Exact match on birth_date",
            "one digit typed wrong or two swapped",
            "day and month swapped",
        ),
        "phones": ("a personal number in common",),
        "email": ("Exact match on email_personal",),
        "iin_valid": ("Exact match on iin_valid",),
    },
    "organisations": {
        "phones": ("a personal number in common",),
        "email_company": ("Exact match on email_company",),
        "bin_valid": ("Exact match on bin_valid",),
    },
}


def identifying_agreement_sql(entity_type: EntityType) -> str:
    """SQL over a scored pair's gamma_ columns: true when an identifying level
    (IDENTIFYING_LEVELS) agrees. Splink numbers a comparison's levels from the last
    (0) up, the null level being -1."""
    wanted = IDENTIFYING_LEVELS[entity_type]
    terms = []
    for comparison in splink_settings(entity_type).create_settings_dict("duckdb")[
        "comparisons"
    ]:
        name = comparison["output_column_name"]
        if name not in wanted:
            continue
        levels = [
            level
            for level in comparison["comparison_levels"]
            if not level.get("is_null_level")
        ]
        for index, level in enumerate(levels):
            if level.get("label_for_charts") in wanted[name]:
                terms.append(f"gamma_{name} = {len(levels) - 1 - index}")
    return "(" + " or ".join(terms or ["false"]) + ")"


def splink_settings(entity_type: EntityType) -> SettingsCreator:
    """The untrained Splink settings for one entity type."""
    if entity_type == "persons":
        comparisons = person_comparisons()
    else:
        comparisons = organisation_comparisons()
    blocking = _prediction_rules(entity_type)
    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name=UNIQUE_ID_COLUMN,
        comparisons=comparisons,
        blocking_rules_to_generate_predictions=blocking,
        retain_intermediate_calculation_columns=True,
        additional_columns_to_retain=["source_system"],
        max_iterations=MAX_EM_ITERATIONS,
    )


def prediction_blocking_rules(entity_type: EntityType) -> list[dict[str, Any]]:
    """The prediction blocking rules as Splink's settings hold them: the code here,
    not the trained JSON, says which pairs are scored (see train.model_for)."""
    return [
        {k: v for k, v in rule.create_blocking_rule_dict("duckdb").items() if v}
        for rule in _prediction_rules(entity_type)
    ]


def training_blocking_rules(entity_type: EntityType) -> list[BlockingRuleCreator]:
    if entity_type == "persons":
        return PERSON_TRAINING_BLOCKING
    return ORGANISATION_TRAINING_BLOCKING

"""The Splink model definition: comparisons and blocking rules per entity type.

Everything that says *what* is compared and *which* pairs are looked at lives here;
training (train.py) estimates the parameters, prediction (resolve.py) only reads the
trained JSON. The columns are the match keys built by features.build_match_table.
"""

from __future__ import annotations

from typing import Any

import splink.comparison_level_library as cll
import splink.comparison_library as cl
from splink import SettingsCreator, block_on
from splink.internals.blocking_rule_creator import BlockingRuleCreator

from customer360.identity.features import EntityType

UNIQUE_ID_COLUMN = "record_key"


def _name_comparison() -> cl.CustomComparison:
    # names repeat (Ахметов, Иванова): term frequencies make a rare exact name count
    # for more than a common one
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


def _exact_with_tf(column: str) -> cl.CustomComparison:
    return cl.CustomComparison(
        output_column_name=column,
        comparison_levels=[
            cll.NullLevel(column),
            cll.ExactMatchLevel(column).configure(tf_adjustment_column=column),
            cll.ElseLevel(),
        ],
    )


def _address_comparison() -> cl.CustomComparison:
    return cl.CustomComparison(
        output_column_name="address",
        comparison_levels=[
            cll.NullLevel("address"),
            cll.ExactMatchLevel("address"),
            cll.JaroWinklerLevel("address", 0.9),
            cll.ElseLevel(),
        ],
    )


def person_comparisons() -> list[cl.CustomComparison | Any]:
    return [
        _name_comparison(),
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
        cl.CustomComparison(
            output_column_name="birth_date",
            comparison_levels=[
                cll.NullLevel("birth_date"),
                cll.ExactMatchLevel("birth_date"),
                cll.ElseLevel(),
            ],
        ),
        _exact_with_tf("city"),
        _address_comparison(),
    ]


def organisation_comparisons() -> list[cl.CustomComparison | Any]:
    return [
        _name_comparison(),
        _phone_comparison(),
        cl.ExactMatch("email_company"),
        _exact_with_tf("email_domain_private"),
        cl.ExactMatch("bin_valid"),
        _exact_with_tf("city"),
        _address_comparison(),
    ]


# Which pairs prediction scores. Each rule lets one kind of record through: names
# (with birth date or city for the spelled-apart ones), phones, e-mails, IIN/BIN, so
# that a record with only a name, address and birth date, or only a phone and an
# e-mail, still meets its duplicates.
PERSON_PREDICTION_BLOCKING: list[BlockingRuleCreator] = [
    block_on("name_core"),
    block_on("phones_all", arrays_to_explode=["phones_all"]),
    block_on("email_personal"),
    block_on("iin_valid"),
    block_on("birth_date"),
    # names spelled apart in one city: the first two letters of each name word.
    # Was the first three letters of the name + city, which at 1,000,000 records made
    # 135 million of the 216 million comparisons for 26 matches in 100,000 customers
    block_on("coarse_name", "city"),
    block_on("address"),
]
ORGANISATION_PREDICTION_BLOCKING: list[BlockingRuleCreator] = [
    block_on("name_core"),
    block_on("phones_all", arrays_to_explode=["phones_all"]),
    block_on("email_company"),
    block_on("email_domain_private"),
    block_on("bin_valid"),
    # names spelled apart at one address. Was the first four letters + city alone:
    # 19 million of the 20 million comparisons at 100,000 customers, for 20 matches
    block_on("substr(name_core, 1, 4)", "city", "substr(address, 1, 8)"),
    block_on("address"),
]

# EM passes, in order; each estimates the m of every comparison its blocking rule does
# not use, so together they cover all comparisons.
PERSON_TRAINING_BLOCKING: list[BlockingRuleCreator] = [
    block_on("name_core"),
    block_on("phone_first"),
    block_on("birth_date"),
]
ORGANISATION_TRAINING_BLOCKING: list[BlockingRuleCreator] = [
    block_on("name_core"),
    block_on("phone_first"),
    block_on("city", "substr(address, 1, 6)"),
]

# Deterministic rules for Splink's prior (probability two random records match):
# almost no false positives, and we tell Splink what share of true matches they find.
PERSON_PRIOR_RULES: list[BlockingRuleCreator] = [
    block_on("iin_valid"),
    block_on("email_personal"),
]
ORGANISATION_PRIOR_RULES: list[BlockingRuleCreator] = [
    block_on("bin_valid"),
    block_on("email_company"),
]
# Share of the true matching pairs the prior rules find, measured against the
# generated ground truth (10,000 customers, seed 1); see docs/identity.md.
PERSON_PRIOR_RULES_RECALL = 0.37  # 6,954 of 19,008 true pairs
ORGANISATION_PRIOR_RULES_RECALL = 0.63  # 5,998 of 9,540


def splink_settings(entity_type: EntityType) -> SettingsCreator:
    """The untrained Splink settings for one entity type."""
    if entity_type == "persons":
        comparisons = person_comparisons()
        blocking = PERSON_PREDICTION_BLOCKING
    else:
        comparisons = organisation_comparisons()
        blocking = ORGANISATION_PREDICTION_BLOCKING
    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name=UNIQUE_ID_COLUMN,
        comparisons=comparisons,
        blocking_rules_to_generate_predictions=blocking,
        retain_intermediate_calculation_columns=True,
        additional_columns_to_retain=["source_system"],
        max_iterations=20,
    )


def prediction_blocking_rules(entity_type: EntityType) -> list[dict[str, Any]]:
    """The prediction blocking rules as Splink's settings hold them: the code here,
    not the trained JSON, says which pairs are scored (see train.model_for)."""
    if entity_type == "persons":
        rules = PERSON_PREDICTION_BLOCKING
    else:
        rules = ORGANISATION_PREDICTION_BLOCKING
    return [
        {k: v for k, v in rule.create_blocking_rule_dict("duckdb").items() if v}
        for rule in rules
    ]


def training_blocking_rules(entity_type: EntityType) -> list[BlockingRuleCreator]:
    if entity_type == "persons":
        return PERSON_TRAINING_BLOCKING
    return ORGANISATION_TRAINING_BLOCKING


def prior_rules(entity_type: EntityType) -> tuple[list[BlockingRuleCreator], float]:
    if entity_type == "persons":
        return PERSON_PRIOR_RULES, PERSON_PRIOR_RULES_RECALL
    return ORGANISATION_PRIOR_RULES, ORGANISATION_PRIOR_RULES_RECALL

"""Must-link rules: pairs of records that are the same customer without any scoring.

They run before Splink and their pairs always join a cluster: the same valid IIN/BIN,
the same non-generic e-mail, the same personal (not shared) phone number. An invalid
IIN/BIN, a generic mailbox (info@, buh@) or a shared number never links on its own.
"""

from __future__ import annotations

import duckdb
import pyarrow as pa

from customer360.identity.features import EntityType, build_match_table

# rule name -> join condition on the match table (l, r); names are reported per pair
PERSON_RULES: dict[str, str] = {
    "same_valid_iin": "l.iin_valid = r.iin_valid",
    "same_personal_email": "l.email_personal = r.email_personal",
    "same_personal_phone": "len(list_intersect(l.phones_private, r.phones_private))"
    " > 0",
}
ORGANISATION_RULES: dict[str, str] = {
    "same_valid_bin": "l.bin_valid = r.bin_valid",
    "same_company_email": "l.email_company = r.email_company",
    "same_company_phone": "len(list_intersect(l.phones_private, r.phones_private)) > 0",
}

# the phone rule is an array overlap: join on the exploded numbers instead of a
# cartesian product, then check the overlap
_EXPLODED_RULES = {"same_personal_phone", "same_company_phone"}


def rules_for(entity_type: EntityType) -> dict[str, str]:
    return PERSON_RULES if entity_type == "persons" else ORGANISATION_RULES


def deterministic_pairs_sql(match_table: str, entity_type: EntityType) -> str:
    """SQL giving one row per linked pair: record_key_l < record_key_r, rule."""
    selects = []
    for rule, condition in rules_for(entity_type).items():
        if rule in _EXPLODED_RULES:
            selects.append(
                f"""
                select distinct l.record_key as record_key_l,
                    r.record_key as record_key_r, '{rule}' as rule
                from (select record_key, unnest(phones_private) as phone
                      from {match_table}) as l
                join (select record_key, unnest(phones_private) as phone
                      from {match_table}) as r
                  on l.phone = r.phone and l.record_key < r.record_key
                """
            )
        else:
            selects.append(
                f"""
                select l.record_key as record_key_l, r.record_key as record_key_r,
                    '{rule}' as rule
                from {match_table} as l join {match_table} as r
                  on {condition} and l.record_key < r.record_key
                """
            )
    union = " union all ".join(selects)
    # one row per pair; the rules that fired are listed in a fixed order
    return f"""
        select record_key_l, record_key_r,
            array_to_string(list_sort(list(distinct rule)), ',') as rule
        from ({union})
        group by record_key_l, record_key_r
    """


def deterministic_pairs(records: pa.Table, entity_type: EntityType) -> pa.Table:
    """Pairs of records linked by a must-link rule, with the rule(s) that fired."""
    con = duckdb.connect()
    con.register("input_records", records)
    match_table = build_match_table(con, "input_records", entity_type)
    return con.sql(deterministic_pairs_sql(match_table, entity_type)).arrow().read_all()

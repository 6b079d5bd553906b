"""The identity tests' inputs: the dbt record unions of a built warehouse, and the
name keys that hand-made records (identity_records.py) carry.

The name keys are a simple Python stand-in for the dbt macros (a crude
transliteration, legal forms stripped): enough for records written by hand.
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pyarrow as pa

_TRANSLIT = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e",
    "ж": "zh", "з": "z", "и": "i", "й": "y", "к": "k", "л": "l", "м": "m",
    "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t", "у": "u",
    "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "",
    "ы": "y", "ь": "", "э": "e", "ю": "yu", "я": "ya", "ә": "a", "ғ": "g",
    "қ": "k", "ң": "n", "ө": "o", "ұ": "u", "ү": "u", "һ": "h", "і": "i",
}  # fmt: skip
_LEGAL_FORMS = re.compile(
    r"товарищество с ограниченной ответственностью|акционерное общество|"
    r"индивидуальный предприниматель|\b(тоо|ао|ип|llp|too|jsc|ao|ie|ip)\b"
)
GENERIC_MAILBOXES = ("info", "buh", "office", "sales")


def translit_key(text: str | None) -> str | None:
    """Lower-case Latin letters and digits only, words separated by one space."""
    if not text:
        return None
    lowered = re.sub(r"ий\b", "iy", text.lower())
    latin = "".join(_TRANSLIT.get(ch, ch) for ch in lowered)
    words = re.sub(r"[^a-z0-9]+", " ", latin).split()
    return " ".join(words) or None


def name_key(text: str | None) -> str | None:
    if not text:
        return None
    words = re.sub(r"[^\w]+", " ", text.lower()).split()
    return " ".join(words) or None


def strip_legal_form(title: str | None) -> tuple[str | None, str | None]:
    if not title:
        return None, None
    lowered = title.lower()
    found = _LEGAL_FORMS.search(lowered)
    core = _LEGAL_FORMS.sub(" ", lowered)
    core = re.sub(r"[«»\"']", " ", core)
    core = " ".join(core.split()) or None
    return core, (found.group(0) if found else None)


def _dbt_model(warehouse: Path, name: str) -> pa.Table:
    """A dbt model built into `warehouse` (schema intermediate), as an Arrow table."""
    # dbt-duckdb may still hold the file read-write in this process: a second handle
    # must use the same configuration, so not read_only
    with duckdb.connect(str(warehouse)) as con:
        built = con.execute(
            "select count(*) from information_schema.tables"
            " where table_schema = 'intermediate' and table_name = ?",
            [name],
        ).fetchall()
        if not built[0][0]:
            raise LookupError(
                f"intermediate.{name} is not built in {warehouse}: run"
                f" `dbt build --select +{name}` against it first"
            )
        return con.sql(f"select * from intermediate.{name}").arrow().read_all()


def person_records(warehouse: Path) -> pa.Table:
    """One row per person-like source record (contacts, contact persons, private
    counterparties, callers, requesters): dbt's int_person_records_unioned."""
    return _dbt_model(warehouse, "int_person_records_unioned")


def organisation_records(warehouse: Path) -> pa.Table:
    """One row per organisation source record: int_organisation_records_unioned."""
    return _dbt_model(warehouse, "int_organisation_records_unioned")


def resolve(
    records: pa.Table, entity_type: str, **options: object
) -> tuple[pa.Table, pa.Table]:
    """(clusters, pairs) of `records` the way a build makes them: the match-pairs
    model's `match_pairs`, then the clusters model's `clusters_with_decisions` (no
    decisions) over every record but calls and tickets."""
    from customer360.identity.features import EVENT_SOURCE_SYSTEMS
    from customer360.identity.resolve import clusters_with_decisions, match_pairs

    pairs = match_pairs(records, entity_type, **options)
    keys = [
        key
        for key, system in zip(
            records.column("record_key").to_pylist(),
            records.column("source_system").to_pylist(),
            strict=True,
        )
        if system not in EVENT_SOURCE_SYSTEMS
    ]
    return clusters_with_decisions(sorted(keys), pairs), pairs


def deterministic_pairs(
    records: pa.Table,
    entity_type: str,
    organisation_clusters: pa.Table | None = None,
) -> pa.Table:
    """Pairs of records linked by a must-link rule, with the rule(s) that fired: the
    match table and the rules' SQL exactly as `match_pairs` runs them.

    organisation_clusters (persons): record_key, cluster_id of the resolved
    organisations; without it a person's organisation is its source record.
    """
    from customer360.identity.deterministic import deterministic_pairs_sql
    from customer360.identity.features import build_match_table

    con = duckdb.connect()
    con.register("input_records", records)
    organisations = None
    if organisation_clusters is not None:
        con.register("organisation_clusters", organisation_clusters)
        organisations = "organisation_clusters"
    match_table = build_match_table(
        con, "input_records", entity_type, organisation_clusters=organisations
    )
    return con.sql(deterministic_pairs_sql(match_table, entity_type)).arrow().read_all()

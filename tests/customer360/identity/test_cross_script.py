"""A name typed in Cyrillic by ear and its Latin spelling compare as near-equal:
dbt's translit_key (compiled from the project's macro), then the identity engine's
phonetic fold, then the name comparison's own conditions."""

from __future__ import annotations

import duckdb
import pytest

from customer360.identity.features import _fold_sql
from customer360.identity.model_definition import NAME_WORD_SIMILARITY
from tests.landed_company import run_dbt

# (typed by ear in Cyrillic, the Latin spelling)
SAME_NAMES = [
    ("Харрингтон Кайла", "Harrington Kayla"),
    ("Уильям Томпсон", "William Thompson"),
    ("Джошуа Маккарти", "Joshua McCarthy"),
    ("Филип Кристофер", "Phillip Christopher"),
    ("Цой Юлия", "Tsoy Yuliya"),
    ("Ксения Уэст", "Xenia West"),
    ("Шерлок Холмс", "Sherlock Holmes"),
    ("Нұрсұлтан Әбішев", "Nursultan Abishev"),
    ("Куинн Сесил", "Quinn Cecil"),
]
DIFFERENT_NAMES = [
    ("Иван Петров", "Ivan Sidorov"),
    ("Марат Ахметов", "Marina Akhmetova"),
    ("Уильям Томпсон", "Walter Thompson"),
]


@pytest.fixture(scope="module")
def translit_sql(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The translit_key macro compiled by dbt, as an expression of the column `n`."""
    target = tmp_path_factory.mktemp("compiled")
    result = run_dbt(
        ["compile", "--inline", "select {{ translit_key('n') }} as k"],
        target / "warehouse.duckdb",
        target,
    )
    assert result.success, result.exception
    code = result.result.results[0].node.compiled_code.strip()
    return code.removeprefix("select ").removesuffix(" as k")


def _words(con: duckdb.DuckDBPyConnection, translit: str, name: str) -> list[str]:
    """The folded, sorted name words the name comparison compares."""
    fold = _fold_sql("w")
    row = con.execute(
        f"select list_sort(list_transform(string_split(({translit}), ' '),"
        f" lambda w: {fold})) from (select ? as n)",
        [name],
    ).fetchall()
    return row[0][0]


def _every_word_close(con: duckdb.DuckDBPyConnection, left, right) -> bool:
    """The name comparison's "the same name by sound" or "every word close"."""
    if len(left) != len(right):
        return False
    closest = con.execute(
        "select list_min(list_transform(?, lambda a: list_max(list_transform(?,"
        " lambda b: jaro_winkler_similarity(a, b)))))",
        [left, right],
    ).fetchall()[0][0]
    return left == right or closest >= NAME_WORD_SIMILARITY


@pytest.fixture(scope="module")
def con() -> duckdb.DuckDBPyConnection:
    return duckdb.connect()


@pytest.mark.parametrize(("typed_by_ear", "latin"), SAME_NAMES)
def test_a_name_typed_by_ear_in_cyrillic_meets_its_latin_spelling(
    con, translit_sql, typed_by_ear, latin
):
    cyrillic_words = _words(con, translit_sql, typed_by_ear)
    latin_words = _words(con, translit_sql, latin)
    assert _every_word_close(con, cyrillic_words, latin_words), (
        cyrillic_words,
        latin_words,
    )


@pytest.mark.parametrize(("one", "other"), DIFFERENT_NAMES)
def test_different_names_stay_apart_whatever_the_script(con, translit_sql, one, other):
    assert not _every_word_close(
        con, _words(con, translit_sql, one), _words(con, translit_sql, other)
    )


def test_the_fold_merges_the_letters_transliteration_confuses(con):
    pairs = [
        ("walter", "valter"), ("tsoi", "koi"), ("cyntia", "sintia"),
        ("aleksei", "alexei"), ("philipp", "filip"), ("yulia", "iulia"),
        ("julia", "iulia"), ("khasan", "hasan"), ("anna", "ana"), ("quinn", "kvin"),
    ]  # fmt: skip
    for left, right in pairs:
        folded = con.execute(
            f"select {_fold_sql('?')}, {_fold_sql('?')}", [left, right]
        ).fetchall()[0]
        assert folded[0] == folded[1], (left, right, folded)

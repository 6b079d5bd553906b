"""Scoring only the changed records against all gives the pairs a full scoring gives."""

from __future__ import annotations

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from customer360.identity.resolve import PreviousScoring, score_pairs
from tests.landed_company import BuiltCompany


def _person_records(company: BuiltCompany) -> pa.Table:
    # not read_only: dbt-duckdb may still hold the file in this process
    with duckdb.connect(str(company.warehouse)) as con:
        return (
            con.sql(
                "select * from intermediate.int_person_records_unioned"
                " where source_system not in ('telephony', 'support')"
                " order by record_key"
            )
            .arrow()
            .read_all()
        )


def _pair_rows(pairs: pa.Table) -> set[tuple]:
    return set(
        zip(
            pairs.column("record_key_l").to_pylist(),
            pairs.column("record_key_r").to_pylist(),
            pairs.column("decision").to_pylist(),
            [
                round(p, 9) if p is not None else None
                for p in pairs.column("match_probability").to_pylist()
            ],
            pairs.column("rule").to_pylist(),
            strict=True,
        )
    )


def _a_day_of_changes(records: pa.Table) -> pa.Table:
    """Three phones changed, one record gone, one customer typed in again."""
    rows = records.to_pylist()
    for row in rows[10:13]:
        row["phones_e164"] = ["+77015550199"]
        row["phone_e164"] = "+77015550199"
    gone = rows.pop(20)
    assert gone
    again = dict(rows[40])
    again["record_key"] = again["record_key"] + "-again"
    rows.append(again)
    return pa.Table.from_pylist(rows, schema=records.schema)


def test_rescoring_the_changed_records_gives_the_pairs_of_a_full_scoring(
    small_company: BuiltCompany,
) -> None:
    before = _person_records(small_company)
    first = score_pairs(before, "persons")
    after = _a_day_of_changes(before)
    full = score_pairs(after, "persons")

    # with the full run's prior, the incremental pairs must be the full run's exactly
    increment = score_pairs(
        after,
        "persons",
        previous=PreviousScoring(first.record_hashes, full.prior),
    )
    assert increment.incremental
    assert 0 < increment.changed_records <= 10
    assert len(increment.rescored_keys) == increment.changed_records + 1
    rescored = pa.array(increment.rescored_keys)
    kept = first.pairs.filter(
        pc.invert(
            pc.or_(
                pc.is_in(first.pairs.column("record_key_l"), rescored),
                pc.is_in(first.pairs.column("record_key_r"), rescored),
            )
        )
    )
    # the kept pairs were scored with the first prior: compare what they link
    assert {(r[0], r[1]) for r in _pair_rows(kept)} | {
        (r[0], r[1]) for r in _pair_rows(increment.pairs)
    } == {(r[0], r[1]) for r in _pair_rows(full.pairs)}
    # every rescored pair is the full run's pair, to the probability
    assert _pair_rows(increment.pairs) <= _pair_rows(full.pairs)
    # and only pairs of changed records were scored
    changed = set(increment.rescored_keys)
    assert all(
        left in changed or right in changed
        for left, right, *_ in _pair_rows(increment.pairs)
    )

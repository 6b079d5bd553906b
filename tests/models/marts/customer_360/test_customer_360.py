"""customer_360 on a real build: every customer once.

Which mart each figure comes from is the dbt unit test in
models/marts/customer_360/_customer_360__models.yml (given rows, expected rows)."""

from __future__ import annotations

from tests.landed_company import BuiltCompany


def test_every_customer_has_exactly_one_row(built_company: BuiltCompany) -> None:
    [(customers, rows, distinct)] = built_company.query(
        "select (select count(*) from marts.dim_customers),"
        " count(*), count(distinct customer_id) from marts.customer_360"
    )
    assert customers == rows == distinct > 0

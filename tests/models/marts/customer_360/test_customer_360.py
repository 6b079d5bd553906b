"""customer_360: every customer once, each figure equal to the mart that defines it."""

from __future__ import annotations

from tests.landed_company import BuiltCompany


def test_every_customer_has_exactly_one_row(built_company: BuiltCompany) -> None:
    [(customers, rows, distinct)] = built_company.query(
        "select (select count(*) from marts.dim_customers),"
        " count(*), count(distinct customer_id) from marts.customer_360"
    )
    assert customers == rows == distinct > 0


def test_metrics_are_the_defining_marts_figures(built_company: BuiltCompany) -> None:
    mismatches = built_company.query(
        """
        select c.customer_id
        from marts.customer_360 as c
        left join marts.customer_ltv as l using (customer_id)
        left join marts.customer_rfm as r using (customer_id)
        left join marts.customer_churn as h using (customer_id)
        where c.net_revenue_kzt != coalesce(l.net_revenue_kzt, 0)
            or c.orders != coalesce(l.orders, 0)
            or c.rfm_segment is distinct from r.segment
            or c.churn_risk_band is distinct from h.risk_band
        """
    )
    assert mismatches == []
    # the company has buyers, so the joins are not vacuous
    [(buyers,)] = built_company.query(
        "select count(*) from marts.customer_360 where orders > 0"
        " and rfm_segment is not null"
    )
    assert buyers > 0


def test_tickets_and_last_interaction_match_the_facts(
    built_company: BuiltCompany,
) -> None:
    tickets = dict(
        built_company.query(
            "select customer_id, count(*) from marts.fct_tickets"
            " where customer_id is not null and not is_resolved group by 1"
        )
    )
    ours = dict(
        built_company.query(
            "select customer_id, open_ticket_count from marts.customer_360"
            " where open_ticket_count > 0"
        )
    )
    assert ours == tickets
    latest = dict(
        built_company.query(
            "select customer_id, max(occurred_at) from marts.fct_customer_interactions"
            " where customer_id is not null group by 1"
        )
    )
    shown = dict(
        built_company.query(
            "select customer_id, last_interaction_at from marts.customer_360"
            " where last_interaction_at is not null"
        )
    )
    assert shown == latest and shown

"""The fact marts and the timeline on the shared generated company: every source
record kept exactly once, money netted as 1C books it, customers as the golden record
resolves them, and each customer's history numbered in time order."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

import pytest

from tests.landed_company import BuiltCompany

pytestmark = pytest.mark.slow

# fact -> (the landed table, its source record key built from the raw columns)
FACT_SOURCES = {
    "fct_sales": ("raw_onec.invoices", "'onec:invoices:' || trim(number)"),
    "fct_payments": ("raw_onec.payments", "'onec:payments:' || trim(number)"),
    "fct_deals": ("raw_crm.deals", "'crm:deals:' || branch || ':' || id"),
    "fct_calls": ("raw_telephony.calls", "'telephony:calls:' || trim(uniqueid)"),
    "fct_tickets": ("raw_support.tickets", "'support:tickets:' || id"),
}


def _keys(company: BuiltCompany, sql: str) -> list[str]:
    return [key for (key,) in company.query(sql)]


@pytest.mark.parametrize("fact", sorted(FACT_SOURCES))
def test_every_landed_record_is_one_fact_row_resolved_or_not(
    built_company: BuiltCompany, fact: str
):
    table, key = FACT_SOURCES[fact]
    landed = _keys(built_company, f"select {key} from {table}")
    facts = _keys(built_company, f"select source_record_key from marts.{fact}")
    assert len(facts) == len(set(facts)), "a source record became several rows"
    assert sorted(facts) == sorted(landed)
    assert len(facts) > 0


def test_timeline_holds_every_fact_row_and_every_return(built_company: BuiltCompany):
    expected = _keys(
        built_company,
        " union all ".join(
            f"select source_record_key from marts.{fact}" for fact in FACT_SOURCES
        )
        + " union all select 'onec:returns:' || trim(number) from raw_onec.returns",
    )
    timeline = _keys(
        built_company, "select source_record_key from marts.fct_customer_interactions"
    )
    assert sorted(timeline) == sorted(expected)


def test_sales_net_equals_invoices_less_discounts_and_returns_in_the_raw_exports(
    built_company: BuiltCompany,
):
    # booked independently, in Python, from the landed 1C rows
    invoices = {
        number.strip(): amount
        for number, amount in built_company.query(
            "select number, amount from raw_onec.invoices where currency = 'KZT'"
        )
    }
    net = dict(invoices)
    for invoice, amount in built_company.query(
        "select invoice_number, amount from raw_onec.discounts"
    ):
        if invoice and invoice.strip() in net:
            net[invoice.strip()] -= amount
    invoice_of_shipment = dict(
        built_company.query(
            "select trim(number), trim(invoice_number) from raw_onec.shipments"
        )
    )
    for shipment, amount in built_company.query(
        "select shipment_number, amount from raw_onec.returns where currency = 'KZT'"
    ):
        invoice = invoice_of_shipment.get((shipment or "").strip())
        if invoice in net:
            net[invoice] -= amount

    ours = dict(
        built_company.query(
            "select invoice_number, net_amount_kzt from marts.fct_sales where is_kzt"
        )
    )
    assert ours == net
    assert any(ours[n] != invoices[n] for n in ours), "no invoice was netted at all"
    (total,) = built_company.query("select sum(net_amount_kzt) from marts.fct_sales")[0]
    assert total == sum(net.values(), Decimal(0))


def test_sales_and_payments_belong_to_their_counterparty_customer(
    built_company: BuiltCompany,
):
    # a legal entity / ИП bills as its organisation; a private person as themself
    for fact in ("fct_sales", "fct_payments"):
        rows = built_company.query(
            f"""
            select counterparties.kind, facts.customer_id, facts.contact_id,
                crosswalk.stable_id
            from marts.{fact} as facts
            join raw_onec.counterparties as counterparties
                on facts.counterparty_code = trim(counterparties.code)
            join intermediate.int_record_crosswalk as crosswalk
                on facts.counterparty_record_key = crosswalk.record_key
            """
        )
        assert rows
        for kind, customer_id, contact_id, stable_id in rows:
            assert customer_id == stable_id
            if kind == "Физическое лицо":
                assert customer_id.startswith("per_") and contact_id == customer_id
            else:
                assert customer_id.startswith("org_") and contact_id is None


def test_deals_belong_to_their_company_else_to_their_contacts_customer(
    built_company: BuiltCompany,
):
    rows = built_company.query(
        """
        select deals.customer_id, deals.contact_id, companies.stable_id,
            contacts.stable_id, dim_contacts.customer_id,
            dim_contacts.is_individual_customer
        from marts.fct_deals as deals
        left join intermediate.int_record_crosswalk as companies
            on deals.company_record_key = companies.record_key
        left join intermediate.int_record_crosswalk as contacts
            on deals.contact_record_key = contacts.record_key
        left join marts.dim_contacts as dim_contacts
            on contacts.stable_id = dim_contacts.contact_id
        """
    )
    with_company = without_company = 0
    for customer_id, contact_id, company_id, person_id, employer, individual in rows:
        assert contact_id == person_id
        if company_id is not None:
            with_company += 1
            assert customer_id == company_id
        else:
            without_company += 1
            assert customer_id == (employer or (person_id if individual else None))
    assert with_company and without_company


@pytest.mark.parametrize("fact", ["fct_calls", "fct_tickets"])
def test_events_belong_to_the_person_they_are_attributed_to(
    built_company: BuiltCompany, fact: str
):
    rows = built_company.query(
        f"""
        select facts.contact_id, facts.unattributed_reason, crosswalk.stable_id,
            attributions.unattributed_reason
        from marts.{fact} as facts
        join intermediate.int_event_attributions as attributions
            on facts.source_record_key = attributions.record_key
        left join intermediate.int_record_crosswalk as crosswalk
            on attributions.cluster_id = crosswalk.record_key
        """
    )
    assert {contact for contact, *_ in rows} - {None}, "no event was attributed"
    assert {reason for _, reason, *_ in rows} - {None}, "every event was attributed"
    for contact_id, reason, person_id, attribution_reason in rows:
        assert contact_id == person_id
        assert reason == attribution_reason


def test_each_customers_history_is_numbered_one_to_n_in_time_order(
    built_company: BuiltCompany,
):
    history = defaultdict(list)
    for customer_id, sequence, occurred_at in built_company.query(
        """
        select customer_id, customer_sequence_number, occurred_at
        from marts.fct_customer_interactions
        where customer_id is not null
        """
    ):
        history[customer_id].append((sequence, occurred_at))
    assert len(history) > 100
    for rows in history.values():
        rows.sort()
        assert [sequence for sequence, _ in rows] == list(range(1, len(rows) + 1))
        times = [occurred_at for _, occurred_at in rows]
        assert times == sorted(times)
    (unnumbered,) = built_company.query(
        """
        select count(*) from marts.fct_customer_interactions
        where (customer_id is null) != (customer_sequence_number is null)
        """
    )[0]
    assert unnumbered == 0

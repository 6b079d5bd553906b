"""revenue_reconciliation on the shared generated company: the 1C side ties out to the
landed 1C ledger, every won deal and every invoice counts exactly once, and each row's
causes explain its whole CRM↔1C difference."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from tests.landed_company import BuiltCompany, LandedCompany, build_failures

pytestmark = pytest.mark.slow

CAUSES = (
    "returns_kzt",
    "discounts_kzt",
    "never_invoiced_deals_kzt",
    "invoices_without_deal_kzt",
    "invoices_of_unwon_deals_kzt",
    "amount_differences_kzt",
    "duplicate_deals_kzt",
    "non_kzt_deals_kzt",
    "non_kzt_invoices_kzt",
    "matched_in_other_branch_kzt",
    "matched_to_other_customer_kzt",
    "unresolved_customer_kzt",
)
TIE_OUT_TEST = "assert_revenue_reconciliation_ties_out_to_onec_ledger"


@pytest.fixture(scope="module")
def reconciled_company(
    built_company: BuiltCompany, tmp_path_factory: pytest.TempPathFactory
) -> LandedCompany:
    """A copy of the company with the reconciliation models built and tested."""
    company = built_company.copy_to(tmp_path_factory.mktemp("reconciliation"))
    result = company.dbt(["build", "--select", "int_revenue_entries_attributed+"])
    assert build_failures(result) == []
    return company


def _onec_ledger(company: LandedCompany) -> tuple[Decimal, Decimal]:
    """(gross, net) over the landed 1C invoices, booked in Python from the raw rows."""
    invoices = {}
    for number, amount, currency in company.query(
        "select number, amount, currency from raw_onec.invoices"
    ):
        assert currency.strip() == "KZT", "a non-KZT invoice cannot tie out in KZT"
        invoices[number.strip()] = amount
    net = dict(invoices)
    for invoice, amount in company.query(
        "select invoice_number, amount from raw_onec.discounts"
    ):
        if invoice and invoice.strip() in net:
            net[invoice.strip()] -= amount
    invoice_of_shipment = {
        (shipment or "").strip(): (invoice or "").strip()
        for shipment, invoice in company.query(
            "select number, invoice_number from raw_onec.shipments"
        )
    }
    for shipment, amount, currency in company.query(
        "select shipment_number, amount, currency from raw_onec.returns"
    ):
        invoice = invoice_of_shipment.get((shipment or "").strip())
        if invoice in net:
            assert currency.strip() == "KZT"
            net[invoice] -= amount
    return sum(invoices.values(), Decimal(0)), sum(net.values(), Decimal(0))


def test_onec_net_revenue_ties_out_to_the_landed_onec_ledger(
    reconciled_company: LandedCompany,
):
    gross, ledger = _onec_ledger(reconciled_company)
    ((reconciled,),) = reconciled_company.query(
        "select sum(onec_net_total_kzt) from marts.revenue_reconciliation"
    )
    assert reconciled == ledger
    assert ledger < gross, "no discount or return was netted: the tie-out proves little"


def test_every_won_deal_and_every_invoice_is_counted_exactly_once(
    reconciled_company: LandedCompany,
):
    company = reconciled_company
    won_deals = {
        key: amount
        for key, amount in company.query(
            """
            select 'crm:deals:' || branch || ':' || id,
                case when trim(currency_id) = 'KZT' then opportunity end
            from raw_crm.deals where trim(stage_id) = 'WON'
            """
        )
    }
    invoices = {
        key
        for (key,) in company.query(
            "select 'onec:invoices:' || trim(number) from raw_onec.invoices"
        )
    }
    entries = company.query(
        "select entry_type, entry_key from intermediate.int_revenue_entries_attributed"
    )
    deal_entries = [key for kind, key in entries if kind == "won_deal"]
    invoice_entries = [key for kind, key in entries if kind == "invoice"]
    assert sorted(deal_entries) == sorted(won_deals)
    assert sorted(invoice_entries) == sorted(invoices)

    ((won_count, invoice_count, crm_won, non_kzt_count),) = company.query(
        """
        select sum(won_deal_count), sum(invoice_count), sum(crm_won_total_kzt),
            sum(non_kzt_won_deal_count)
        from marts.revenue_reconciliation
        """
    )
    assert won_count == len(won_deals)
    assert invoice_count == len(invoices)
    # the CRM side counts every won KZT deal once; deals in USD/RUB never in KZT
    assert crm_won == sum((a for a in won_deals.values() if a is not None), Decimal(0))
    assert non_kzt_count == sum(1 for a in won_deals.values() if a is None) > 0


def test_each_rows_causes_explain_its_whole_difference(
    reconciled_company: LandedCompany,
):
    rows = reconciled_company.query(
        f"""
        select reconciliation_key, crm_won_total_kzt, onec_net_total_kzt,
            {", ".join(CAUSES)}
        from marts.revenue_reconciliation
        """
    )
    assert len(rows) > 100
    for key, crm_won, onec_net, *causes in rows:
        assert crm_won + sum(causes, Decimal(0)) == onec_net, key
    totals = {
        cause: sum((row[3 + i] for row in rows), Decimal(0))
        for i, cause in enumerate(CAUSES)
    }
    # the generated company has each of these (docs/demo_data.md)
    for cause in (
        "returns_kzt",
        "discounts_kzt",
        "never_invoiced_deals_kzt",
        "invoices_without_deal_kzt",
        "invoices_of_unwon_deals_kzt",
        "non_kzt_deals_kzt",
    ):
        assert totals[cause] != 0, cause


def test_the_tie_out_test_fails_when_an_invoice_goes_missing(
    reconciled_company: LandedCompany, tmp_path: Path
):
    company = reconciled_company.copy_to(tmp_path)
    company.query(
        """
        delete from marts.revenue_reconciliation
        where reconciliation_key = (
            select min(reconciliation_key) from marts.revenue_reconciliation
            where onec_net_total_kzt > 0
        )
        """
    )
    result = company.dbt(["test", "--select", TIE_OUT_TEST])
    assert any(TIE_OUT_TEST in failure for failure in build_failures(result))

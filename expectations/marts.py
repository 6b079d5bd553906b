"""Suites on the marts the CRM sync and BI read.

Critical where a wrong value would be written into the CRM or shown as revenue:
one row per customer in customer_360, LTV not negative, churn probability in
[0, 1], every CRM and 1C record mapped to its customer, the reconciliation's 1C
side equal to the 1C ledger, and every value of the sync mart one its CRM field
can take (reverse_etl/mapping.yml). Warnings where a figure only drifts.
"""

from __future__ import annotations

import yaml

from expectations.rules import (
    EMAIL_SHAPE,
    allowed,
    between,
    matches,
    required,
    unique,
    valid_share,
)
from expectations.suite import (
    CRITICAL,
    WARNING,
    Expect,
    Suite,
    SuiteInputs,
    gx_expectations,
)
from reverse_etl.mapping import load_mapping

RISK_BANDS = ("low", "medium", "high")
STABLE_ID = r"^(?:per|org)_[0-9]+$"
E164 = r"^\+[1-9][0-9]{7,14}$"
DATA_QUALITY_FLAG = (
    "(?:missing_phone|missing_email|missing_bin_iin|conflicting_bin_iin)"
)
DATA_QUALITY_FLAGS = rf"^{DATA_QUALITY_FLAG}(?:,{DATA_QUALITY_FLAG})*$"
# what a CRM field of each type takes: Bitrix24's string user fields and amoCRM's
# text fields keep 255 characters; its integer fields are 32-bit
STRING_FIELD_LENGTH = 255
INTEGER_FIELD_RANGE = (1, 2**31 - 1)
# a finite amount (NaN and infinity are refused by both CRMs' number fields)
DOUBLE_FIELD_RANGE = (-1e15, 1e15)
# what each column the sync writes means, beyond its field type
SYNC_COLUMN_RULES = {
    "c360_id": lambda: matches("c360_id", STABLE_ID),
    "customer_id": lambda: matches("customer_id", STABLE_ID),
    "ltv_12m_kzt": lambda: between("ltv_12m_kzt", 0, None, name="LTV not negative"),
    "churn_risk_band": lambda: allowed("churn_risk_band", RISK_BANDS, CRITICAL),
    "data_quality_flags": lambda: matches("data_quality_flags", DATA_QUALITY_FLAGS),
    "golden_phone_e164": lambda: matches("golden_phone_e164", E164),
    "golden_email": lambda: matches("golden_email", EMAIL_SHAPE),
}


def _rfm_segments(inputs: SuiteInputs) -> list[str]:
    return [
        segment
        for (segment,) in inputs.connection.execute(
            "select segment from rfm_segments"
        ).fetchall()
    ]


def _customer_360(inputs: SuiteInputs) -> list[Expect]:
    (customers,) = inputs.connection.execute(
        "select count(*) from marts.dim_customers"
    ).fetchone()
    return [
        Expect(
            "one row per customer",
            gx_expectations().ExpectTableRowCountToEqual(
                value=customers,
                severity=CRITICAL,
                description=f"As many rows as marts.dim_customers: {customers:,}",
            ),
        ),
        unique(["customer_id"]),
        required("customer_id"),
        between("predicted_value_12m_kzt", 0, None, name="LTV not negative"),
        between("churn_probability", 0, 1, name="churn probability in [0, 1]"),
        allowed("churn_risk_band", RISK_BANDS, CRITICAL),
        allowed("rfm_segment", _rfm_segments(inputs), CRITICAL),
        between("probability_alive", 0, 1, WARNING, name="probability alive in [0, 1]"),
        between("orders", 0, None, WARNING, name="orders not negative"),
        valid_share("customers with a phone", "has_phone", inputs.history),
        valid_share("customers with an e-mail", "has_email", inputs.history),
    ]


def _sync_records(inputs: SuiteInputs) -> list[Expect]:
    expectations = [
        unique(["branch", "entity_type", "crm_id"]),
        required("c360_id"),
        allowed("entity_type", ("contact", "company"), CRITICAL),
        allowed("rfm_segment", _rfm_segments(inputs), CRITICAL),
    ]
    # every column a destination writes, with the type of the field it goes to
    written: dict[str, str] = {}
    for destination in _destinations(inputs):
        for mapped in load_mapping(inputs.mapping_path, destination).fields:
            written.setdefault(mapped.column, mapped.type)
    for column, field_type in written.items():
        if column in SYNC_COLUMN_RULES:
            expectations.append(SYNC_COLUMN_RULES[column]())
        if field_type == "string":
            expectations.append(
                Expect(
                    f"{column} fits a string field",
                    gx_expectations().ExpectColumnValueLengthsToBeBetween(
                        column=column,
                        max_value=STRING_FIELD_LENGTH,
                        severity=CRITICAL,
                    ),
                )
            )
        elif field_type in ("double", "integer"):
            low, high = (
                INTEGER_FIELD_RANGE if field_type == "integer" else DOUBLE_FIELD_RANGE
            )
            expectations.append(
                between(column, low, high, name=f"{column} fits a {field_type} field")
            )
        elif field_type == "boolean":
            expectations.append(allowed(column, (True, False), CRITICAL))
    return expectations


def _destinations(inputs: SuiteInputs) -> list[str]:
    """The destinations the mapping file maps (bitrix24, amocrm)."""
    document = yaml.safe_load(inputs.mapping_path.read_text(encoding="utf-8")) or {}
    return list(document)


def _record_mapping(inputs: SuiteInputs) -> list[Expect]:
    return [
        Expect(
            "every record has its stable ID",
            gx_expectations().ExpectColumnValuesToBeNull(
                column="record_without_stable_id", severity=CRITICAL
            ),
        ),
        Expect(
            "every customer record has its customer",
            gx_expectations().ExpectColumnValuesToBeNull(
                column="customer_record_without_customer", severity=CRITICAL
            ),
        ),
    ]


def _reconciliation(inputs: SuiteInputs) -> list[Expect]:
    return [
        Expect(
            "1C side equals the 1C ledger",
            gx_expectations().ExpectColumnPairValuesToBeEqual(
                column_A="onec_net_total_kzt",
                column_B="ledger_net_kzt",
                severity=CRITICAL,
                description=(
                    "Per branch, the sum of onec_net_total_kzt equals the 1C ledger"
                    " booked from staging: invoices less their discounts less the"
                    " returns of their shipments"
                ),
            ),
        ),
        Expect(
            "every invoice counted once",
            gx_expectations().ExpectColumnPairValuesToBeEqual(
                column_A="invoice_count",
                column_B="ledger_invoice_count",
                severity=CRITICAL,
            ),
        ),
    ]


RECONCILIATION_QUERY = """
with
ledger_invoices as (
    select invoice_number, branch, amount from staging.stg_onec__invoices
),
ledger_discounts as (
    select i.branch, d.amount
    from staging.stg_onec__discounts as d
    inner join ledger_invoices as i on d.invoice_number = i.invoice_number
),
ledger_returns as (
    select i.branch, r.amount
    from staging.stg_onec__returns as r
    inner join staging.stg_onec__shipments as s on r.shipment_number = s.shipment_number
    inner join ledger_invoices as i on s.invoice_number = i.invoice_number
),
ledger as (
    select branch, sum(amount) as net
    from (
        select branch, amount from ledger_invoices
        union all select branch, -amount from ledger_discounts
        union all select branch, -amount from ledger_returns
    )
    group by branch
),
invoice_counts as (
    select branch, count(*) as invoices from ledger_invoices group by branch
),
reconciled as (
    select branch, sum(onec_net_total_kzt) as net, sum(invoice_count) as invoices
    from marts.revenue_reconciliation
    group by branch
)
select
    coalesce(reconciled.branch, ledger.branch) as branch,
    cast(cast(coalesce(reconciled.net, 0) as decimal(38, 2)) as varchar)
        as onec_net_total_kzt,
    cast(cast(coalesce(ledger.net, 0) as decimal(38, 2)) as varchar) as ledger_net_kzt,
    cast(coalesce(reconciled.invoices, 0) as bigint) as invoice_count,
    cast(coalesce(invoice_counts.invoices, 0) as bigint) as ledger_invoice_count
from reconciled
full outer join ledger on reconciled.branch is not distinct from ledger.branch
left join invoice_counts
    on coalesce(reconciled.branch, ledger.branch)
    is not distinct from invoice_counts.branch
"""

RECORD_MAPPING_QUERY = """
with records as (
    select record_key, source_system, source_table, false as is_organisation
    from intermediate.int_person_records_unioned
    where source_system in ('crm', 'onec')
    union all
    select record_key, source_system, source_table, true as is_organisation
    from intermediate.int_organisation_records_unioned
)
select
    records.record_key,
    case when crosswalk.stable_id is null then records.record_key end
        as record_without_stable_id,
    -- an organisation, or a 1C private person (1C bills them as a customer)
    case
        when (records.is_organisation or records.source_table = 'counterparties')
            and ids.customer_id is null
            then records.record_key
    end as customer_record_without_customer
from records
left join intermediate.int_record_crosswalk as crosswalk
    on records.record_key = crosswalk.record_key
left join intermediate.int_record_customer_ids as ids
    on records.record_key = ids.record_key
"""

MART_SUITES: list[Suite] = [
    Suite(
        name="intermediate.int_record_crosswalk",
        asset=("intermediate", "int_record_crosswalk"),
        table="intermediate.int_record_crosswalk",
        reads=(
            "intermediate.int_person_records_unioned",
            "intermediate.int_organisation_records_unioned",
            "intermediate.int_record_customer_ids",
        ),
        query=RECORD_MAPPING_QUERY,
        expectations=_record_mapping,
        description="Every CRM and 1C record in the sources is mapped to a customer.",
    ),
    Suite(
        name="marts.customer_360",
        asset=("marts", "customer_360"),
        table="marts.customer_360",
        reads=("marts.dim_customers",),
        query=(
            "select customer_id, predicted_value_12m_kzt, churn_probability,"
            " churn_risk_band, rfm_segment, probability_alive, orders,"
            " not is_missing_phone as has_phone, not is_missing_email as has_email"
            " from marts.customer_360"
        ),
        expectations=_customer_360,
        description="The one table BI and the CRM sync read: one row per customer.",
    ),
    Suite(
        name="marts.crm_sync_records",
        asset=("marts", "crm_sync_records"),
        table="marts.crm_sync_records",
        query="select * from marts.crm_sync_records",
        expectations=_sync_records,
        description="What the CRM sync writes: values the CRM fields can take.",
    ),
    Suite(
        name="marts.revenue_reconciliation",
        asset=("marts", "revenue_reconciliation"),
        table="marts.revenue_reconciliation",
        reads=(
            "staging.stg_onec__invoices",
            "staging.stg_onec__discounts",
            "staging.stg_onec__returns",
            "staging.stg_onec__shipments",
        ),
        query=RECONCILIATION_QUERY,
        expectations=_reconciliation,
        description="The CRM against 1C: its 1C side ties out to the 1C ledger.",
    ),
]

"""Suites on the landed raw tables: what each export or CRM must deliver at the door.

Read before dbt ever runs, from the raw text: unique primary keys and required
fields (critical: identity resolution and every mart key on them), row counts
against the previous run (critical: a landing that lost half its rows would
rebuild the marts and rewrite the CRM from half the customers), allowed values
and date ranges (warnings), and the shares of valid phones, e-mails and IIN/BINs
against the last runs (warnings: a drop says an export or a form changed).
"""

from __future__ import annotations

from expectations.rules import (
    EARLIEST_BIRTH_DATE,
    EMAIL_SHAPE,
    FULL_PHONE_DIGITS,
    allowed,
    between,
    dated,
    iin_bin_checksum_sql,
    required,
    row_count,
    unique,
    valid_share,
)
from expectations.suite import CRITICAL, WARNING, Suite

ONEC_KINDS = (
    "Юридическое лицо",
    "Физическое лицо",
    "Индивидуальный предприниматель",
)
# the currencies the CRM's deals and 1C's documents are written in (docs/marts.md)
CURRENCIES = ("KZT", "USD", "RUB", "EUR")
CALL_DISPOSITIONS = ("ANSWERED", "NO ANSWER", "BUSY", "FAILED", "CONGESTION")
TICKET_STATUSES = ("new", "open", "pending", "hold", "solved", "closed")
TICKET_PRIORITIES = ("low", "normal", "high", "urgent")


def _digits(expression: str) -> str:
    """A phone as typed, digits only; null when it has none."""
    return (
        f"nullif(regexp_replace(cast({expression} as varchar), '[^0-9]', '', 'g'), '')"
    )


def _text(expression: str) -> str:
    return f"nullif(trim(cast({expression} as varchar)), '')"


def _timestamp(column: str) -> str:
    return f"cast({column} as timestamp) as {column}"


def _first_crm_value(column: str) -> str:
    """The first VALUE of a Bitrix24 multi-value field (PHONE, EMAIL: a JSON list)."""
    return f"json_extract_string({column}, '$[0].VALUE')"


def _crm_suite(table: str, identifier: str, extra: str, expectations) -> Suite:
    return Suite(
        name=f"raw_crm.{table}",
        asset=("raw_crm", table),
        table=f"raw_crm.{table}",
        query=(
            f"select branch, id, {_timestamp('date_create')},"
            f" {_timestamp('date_modify')},"
            f" {_digits(_first_crm_value('phone'))} as phone_digits,"
            f" lower({_text(_first_crm_value('email'))}) as email,"
            f" {iin_bin_checksum_sql(identifier)} as {identifier}_is_valid"
            f"{extra} from raw_crm.{table}"
        ),
        expectations=expectations,
        unreadable=WARNING,
        description=f"Bitrix24 {table}, every branch portal, as landed.",
    )


def _crm_people(inputs):
    history = inputs.history
    return [
        row_count(history),
        unique(["branch", "id"]),
        required("branch"),
        required("id"),
        dated("date_create"),
        dated("date_modify"),
        valid_share("valid phone share", "phone_digits", history, FULL_PHONE_DIGITS),
        valid_share("valid e-mail share", "email", history, EMAIL_SHAPE),
        valid_share("valid IIN share", "uf_crm_iin_is_valid", history),
    ]


def _crm_companies(inputs):
    history = inputs.history
    return [
        row_count(history),
        unique(["branch", "id"]),
        required("branch"),
        required("id"),
        required("title", WARNING),
        dated("date_create"),
        dated("date_modify"),
        valid_share("valid phone share", "phone_digits", history, FULL_PHONE_DIGITS),
        valid_share("valid e-mail share", "email", history, EMAIL_SHAPE),
        valid_share("valid BIN share", "uf_crm_bin_is_valid", history),
    ]


def _crm_deals(inputs):
    history = inputs.history
    return [
        row_count(history),
        unique(["branch", "id"]),
        required("branch"),
        required("id"),
        required("stage_id", WARNING),
        allowed("currency_id", CURRENCIES),
        allowed("closed", ("Y", "N")),
        between("opportunity", 0, None, WARNING, name="opportunity not negative"),
        dated("date_create"),
    ]


CRM_SUITES = [
    _crm_suite("contacts", "uf_crm_iin", "", _crm_people),
    _crm_suite("companies", "uf_crm_bin", ", title", _crm_companies),
    Suite(
        name="raw_crm.deals",
        asset=("raw_crm", "deals"),
        table="raw_crm.deals",
        query=(
            "select branch, id, stage_id, currency_id, closed,"
            " cast(opportunity as double) as opportunity,"
            f" {_timestamp('date_create')} from raw_crm.deals"
        ),
        expectations=_crm_deals,
        unreadable=WARNING,
        description="Bitrix24 deals, every branch portal, as landed.",
    ),
]


def _counterparties(inputs):
    history = inputs.history
    return [
        row_count(history),
        unique(["code"]),
        required("code"),
        required("name", WARNING),
        allowed("kind", ONEC_KINDS),
        dated("created_date"),
        dated("modified_at"),
        valid_share("valid phone share", "phone_digits", history, FULL_PHONE_DIGITS),
        valid_share("valid e-mail share", "email", history, EMAIL_SHAPE),
        valid_share("valid IIN/BIN share", "bin_iin_is_valid", history),
    ]


def _contact_persons(inputs):
    history = inputs.history
    return [
        row_count(history),
        unique(["code"]),
        required("code"),
        required("counterparty_code", WARNING),
        dated("birth_date", EARLIEST_BIRTH_DATE),
        valid_share("valid phone share", "phone_digits", history, FULL_PHONE_DIGITS),
        valid_share("valid e-mail share", "email", history, EMAIL_SHAPE),
    ]


def _documents(inputs):
    history = inputs.history
    return [
        row_count(history),
        unique(["number"]),
        required("number"),
        required("date", CRITICAL),
        required("counterparty_code", WARNING),
        dated("date"),
        between("amount", 0, None, WARNING, name="amount not negative"),
    ]


def _documents_in_currency(inputs):
    return [*_documents(inputs), allowed("currency", CURRENCIES)]


ONEC_DOCUMENTS = {
    # table: has a currency column
    "invoices": True,
    "payments": True,
    "shipments": True,
    "returns": True,
    "discounts": False,
}

ONEC_SUITES = [
    Suite(
        name="raw_onec.counterparties",
        asset=("raw_onec", "counterparties"),
        table="raw_onec.counterparties",
        query=(
            "select code, name, kind, cast(created_date as timestamp) as created_date,"
            f" {_timestamp('modified_at')}, {_digits('phone')} as phone_digits,"
            f" lower({_text('email')}) as email,"
            f" {iin_bin_checksum_sql('bin_iin')} as bin_iin_is_valid"
            " from raw_onec.counterparties"
        ),
        expectations=_counterparties,
        unreadable=WARNING,
        description="1C Контрагенты as exported.",
    ),
    Suite(
        name="raw_onec.contact_persons",
        asset=("raw_onec", "contact_persons"),
        table="raw_onec.contact_persons",
        query=(
            "select code, counterparty_code,"
            " cast(birth_date as timestamp) as birth_date,"
            f" {_digits('phone')} as phone_digits, lower({_text('email')}) as email"
            " from raw_onec.contact_persons"
        ),
        expectations=_contact_persons,
        unreadable=WARNING,
        description="1C КонтактныеЛица as exported.",
    ),
    *(
        Suite(
            name=f"raw_onec.{table}",
            asset=("raw_onec", table),
            table=f"raw_onec.{table}",
            query=(
                "select number, cast(date as timestamp) as date, counterparty_code,"
                " cast(amount as double) as amount"
                + (", currency" if has_currency else "")
                + f" from raw_onec.{table}"
            ),
            expectations=_documents_in_currency if has_currency else _documents,
            unreadable=WARNING,
            description=f"1C {table} as exported.",
        )
        for table, has_currency in ONEC_DOCUMENTS.items()
    ),
]


def _calls(inputs):
    history = inputs.history
    return [
        row_count(history),
        unique(["uniqueid"]),
        required("uniqueid"),
        required("calldate"),
        allowed("disposition", CALL_DISPOSITIONS),
        between("duration", 0, None, WARNING, name="duration not negative"),
        dated("calldate"),
        valid_share("valid phone share", "customer_digits", history, FULL_PHONE_DIGITS),
    ]


def _tickets(inputs):
    history = inputs.history
    return [
        row_count(history),
        unique(["id"]),
        required("id"),
        required("created_at"),
        allowed("status", TICKET_STATUSES),
        allowed("priority", TICKET_PRIORITIES),
        between("satisfaction_score", 1, 5, WARNING),
        dated("created_at"),
        valid_share(
            "valid phone share", "requester_phone_digits", history, FULL_PHONE_DIGITS
        ),
        valid_share("valid e-mail share", "requester_email", history, EMAIL_SHAPE),
    ]


EVENT_SUITES = [
    Suite(
        name="raw_telephony.calls",
        asset=("raw_telephony", "calls"),
        table="raw_telephony.calls",
        query=(
            # the customer's side: the caller, unless the caller is an extension
            f"select uniqueid, {_timestamp('calldate')}, disposition, duration,"
            f" case when length({_digits('src')}) > 4 then {_digits('src')}"
            f" else {_digits('dst')} end as customer_digits"
            " from raw_telephony.calls"
        ),
        expectations=_calls,
        unreadable=WARNING,
        description="PBX call records (CDR) as exported.",
    ),
    Suite(
        name="raw_support.tickets",
        asset=("raw_support", "tickets"),
        table="raw_support.tickets",
        query=(
            f"select id, {_timestamp('created_at')}, status, priority,"
            " satisfaction_score,"
            f" {_digits('requester_phone')} as requester_phone_digits,"
            f" lower({_text('requester_email')}) as requester_email"
            " from raw_support.tickets"
        ),
        expectations=_tickets,
        unreadable=WARNING,
        description="Help-desk tickets as exported.",
    ),
]

LANDED_SUITES: list[Suite] = [*CRM_SUITES, *ONEC_SUITES, *EVENT_SUITES]

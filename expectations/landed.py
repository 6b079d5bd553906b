"""Suites on the landed raw tables: what each export or CRM must deliver at the door.

Read before dbt ever runs, from the raw text: unique primary keys and required
fields (critical: identity resolution and every mart key on them), row counts
against the previous run (critical: a landing that lost half its rows would
rebuild the marts and rewrite the CRM from half the customers), allowed values
and date ranges (warnings), and the shares of valid phones, e-mails and IIN/BINs
against the last runs (warnings: a drop says an export or a form changed).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial

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
from expectations.suite import CRITICAL, WARNING, Expect, Suite, SuiteInputs

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


def _crm_query(table: str, identifier: str, extra: str = "") -> str:
    return (
        f"select branch, id, {_timestamp('date_create')},"
        f" {_timestamp('date_modify')},"
        f" {_digits(_first_crm_value('phone'))} as phone_digits,"
        f" lower({_text(_first_crm_value('email'))}) as email,"
        f" {iin_bin_checksum_sql(identifier)} as {identifier}_is_valid"
        f"{extra} from raw_crm.{table}"
    )


@dataclass(frozen=True)
class ValidShare:
    """A share of valid values held to the last runs' (see rules.valid_share)."""

    # the key earlier runs' shares are found by
    name: str
    column: str
    # what a valid value matches; empty when the query computes the column as a
    # boolean (IIN/BIN checksums, which a regex cannot check)
    regex: str = ""


def _phone_share(column: str) -> ValidShare:
    return ValidShare("valid phone share", column, FULL_PHONE_DIGITS)


def _email_share(column: str) -> ValidShare:
    return ValidShare("valid e-mail share", column, EMAIL_SHAPE)


@dataclass(frozen=True)
class LandedTable:
    """One landed table's suite as data: the frame read from it, what it must hold."""

    table: str
    query: str
    description: str
    # its primary key: unique, and every column of it filled (critical: identity
    # resolution and every mart key on them)
    key: tuple[str, ...]
    # further columns that must be filled, with the severity of a gap
    required: Mapping[str, str] = field(default_factory=dict)
    # the rest are warnings: a value out of place is kept and flagged, not a lost row
    allowed: Mapping[str, Sequence[object]] = field(default_factory=dict)
    not_negative: tuple[str, ...] = ()
    # minimum and maximum, both included
    in_range: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    # birth dates reach further back than any business date
    dated: tuple[str, ...] = ()
    birth_dates: tuple[str, ...] = ()
    valid_shares: tuple[ValidShare, ...] = ()


def _expectations(table: LandedTable, inputs: SuiteInputs) -> list[Expect]:
    history = inputs.history
    # the same order in every suite's report: the row count and the key first
    return [
        row_count(history),
        unique(table.key),
        *(required(column) for column in table.key),
        *(required(column, severity) for column, severity in table.required.items()),
        *(allowed(column, values) for column, values in table.allowed.items()),
        *(
            between(column, 0, None, WARNING, name=f"{column} not negative")
            for column in table.not_negative
        ),
        *(
            between(column, minimum, maximum, WARNING)
            for column, (minimum, maximum) in table.in_range.items()
        ),
        *(dated(column) for column in table.dated),
        *(dated(column, EARLIEST_BIRTH_DATE) for column in table.birth_dates),
        *(
            valid_share(share.name, share.column, history, share.regex)
            for share in table.valid_shares
        ),
    ]


def landed_suite(table: LandedTable) -> Suite:
    return Suite(
        name=table.table,
        asset=tuple(table.table.split(".")),
        table=table.table,
        query=table.query,
        expectations=partial(_expectations, table),
        unreadable=WARNING,
        description=table.description,
    )


def _onec_document(table: str, has_currency: bool) -> LandedTable:
    return LandedTable(
        table=f"raw_onec.{table}",
        query=(
            "select number, cast(date as timestamp) as date, counterparty_code,"
            " cast(amount as double) as amount"
            + (", currency" if has_currency else "")
            + f" from raw_onec.{table}"
        ),
        description=f"1C {table} as exported.",
        key=("number",),
        required={"date": CRITICAL, "counterparty_code": WARNING},
        allowed={"currency": CURRENCIES} if has_currency else {},
        not_negative=("amount",),
        dated=("date",),
    )


ONEC_DOCUMENTS = {
    # table: has a currency column
    "invoices": True,
    "payments": True,
    "shipments": True,
    "returns": True,
    "discounts": False,
}

LANDED_TABLES: tuple[LandedTable, ...] = (
    LandedTable(
        table="raw_crm.contacts",
        query=_crm_query("contacts", "uf_crm_iin"),
        description="Bitrix24 contacts, every branch portal, as landed.",
        key=("branch", "id"),
        dated=("date_create", "date_modify"),
        valid_shares=(
            _phone_share("phone_digits"),
            _email_share("email"),
            ValidShare("valid IIN share", "uf_crm_iin_is_valid"),
        ),
    ),
    LandedTable(
        table="raw_crm.companies",
        query=_crm_query("companies", "uf_crm_bin", ", title"),
        description="Bitrix24 companies, every branch portal, as landed.",
        key=("branch", "id"),
        required={"title": WARNING},
        dated=("date_create", "date_modify"),
        valid_shares=(
            _phone_share("phone_digits"),
            _email_share("email"),
            ValidShare("valid BIN share", "uf_crm_bin_is_valid"),
        ),
    ),
    LandedTable(
        table="raw_crm.deals",
        query=(
            "select branch, id, stage_id, currency_id, closed,"
            " cast(opportunity as double) as opportunity,"
            f" {_timestamp('date_create')} from raw_crm.deals"
        ),
        description="Bitrix24 deals, every branch portal, as landed.",
        key=("branch", "id"),
        required={"stage_id": WARNING},
        allowed={"currency_id": CURRENCIES, "closed": ("Y", "N")},
        not_negative=("opportunity",),
        dated=("date_create",),
    ),
    LandedTable(
        table="raw_onec.counterparties",
        query=(
            "select code, name, kind, cast(created_date as timestamp) as created_date,"
            f" {_timestamp('modified_at')}, {_digits('phone')} as phone_digits,"
            f" lower({_text('email')}) as email,"
            f" {iin_bin_checksum_sql('bin_iin')} as bin_iin_is_valid"
            " from raw_onec.counterparties"
        ),
        description="1C Контрагенты as exported.",
        key=("code",),
        required={"name": WARNING},
        allowed={"kind": ONEC_KINDS},
        dated=("created_date", "modified_at"),
        valid_shares=(
            _phone_share("phone_digits"),
            _email_share("email"),
            ValidShare("valid IIN/BIN share", "bin_iin_is_valid"),
        ),
    ),
    LandedTable(
        table="raw_onec.contact_persons",
        query=(
            "select code, counterparty_code,"
            " cast(birth_date as timestamp) as birth_date,"
            f" {_digits('phone')} as phone_digits, lower({_text('email')}) as email"
            " from raw_onec.contact_persons"
        ),
        description="1C КонтактныеЛица as exported.",
        key=("code",),
        required={"counterparty_code": WARNING},
        birth_dates=("birth_date",),
        valid_shares=(_phone_share("phone_digits"), _email_share("email")),
    ),
    *(
        _onec_document(table, has_currency)
        for table, has_currency in ONEC_DOCUMENTS.items()
    ),
    LandedTable(
        table="raw_telephony.calls",
        query=(
            # the customer's side: the caller, unless the caller is an extension
            f"select uniqueid, {_timestamp('calldate')}, disposition, duration,"
            f" case when length({_digits('src')}) > 4 then {_digits('src')}"
            f" else {_digits('dst')} end as customer_digits"
            " from raw_telephony.calls"
        ),
        description="PBX call records (CDR) as exported.",
        key=("uniqueid",),
        required={"calldate": CRITICAL},
        allowed={"disposition": CALL_DISPOSITIONS},
        not_negative=("duration",),
        dated=("calldate",),
        valid_shares=(_phone_share("customer_digits"),),
    ),
    LandedTable(
        table="raw_support.tickets",
        query=(
            f"select id, {_timestamp('created_at')}, status, priority,"
            " satisfaction_score,"
            f" {_digits('requester_phone')} as requester_phone_digits,"
            f" lower({_text('requester_email')}) as requester_email"
            " from raw_support.tickets"
        ),
        description="Help-desk tickets as exported.",
        key=("id",),
        required={"created_at": CRITICAL},
        allowed={"status": TICKET_STATUSES, "priority": TICKET_PRIORITIES},
        in_range={"satisfaction_score": (1, 5)},
        dated=("created_at",),
        valid_shares=(
            _phone_share("requester_phone_digits"),
            _email_share("requester_email"),
        ),
    ),
)

LANDED_SUITES: list[Suite] = [landed_suite(table) for table in LANDED_TABLES]

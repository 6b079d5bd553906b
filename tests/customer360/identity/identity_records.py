"""Hand-made person and organisation records, shaped like the dbt record unions."""

from __future__ import annotations

from typing import Any

import pyarrow as pa
from identity_testkit import (
    GENERIC_MAILBOXES,
    name_key,
    strip_legal_form,
    translit_key,
)

PERSON_COLUMNS = {
    "record_key": pa.string(), "source_system": pa.string(),
    "source_table": pa.string(), "source_record_id": pa.string(),
    "branch": pa.string(), "full_name": pa.string(), "first_name": pa.string(),
    "last_name": pa.string(), "middle_name": pa.string(), "name_key": pa.string(),
    "name_translit_key": pa.string(), "phone_e164": pa.string(),
    "phones_e164": pa.list_(pa.string()), "email": pa.string(),
    "email_is_generic": pa.bool_(), "email_is_public": pa.bool_(),
    "iin": pa.string(), "iin_is_valid": pa.bool_(), "birth_date": pa.date32(),
    "sex": pa.string(), "city": pa.string(), "address": pa.string(),
    "organisation_record_key": pa.string(), "updated_at": pa.timestamp("us"),
    "postcode": pa.string(),
}  # fmt: skip
ORGANISATION_COLUMNS = {
    "record_key": pa.string(), "source_system": pa.string(),
    "source_table": pa.string(), "source_record_id": pa.string(),
    "branch": pa.string(), "name_core": pa.string(), "legal_form": pa.string(),
    "name_key": pa.string(), "name_translit_key": pa.string(), "bin": pa.string(),
    "bin_is_valid": pa.bool_(), "phone_e164": pa.string(),
    "phones_e164": pa.list_(pa.string()), "email": pa.string(),
    "email_domain": pa.string(), "email_is_generic": pa.bool_(),
    "email_is_public": pa.bool_(), "city": pa.string(), "address": pa.string(),
    "updated_at": pa.timestamp("us"),
}  # fmt: skip


def person(key: str, name: str, **fields: Any) -> dict[str, Any]:
    """A person record as the dbt union would hand it over."""
    system, table, record_id = key.split(":", 2)
    phones = fields.pop("phones", None)
    email = fields.get("email")
    row = {
        "record_key": key, "source_system": system, "source_table": table,
        "source_record_id": record_id, "full_name": name,
        "name_key": name_key(name), "name_translit_key": translit_key(name),
        "phones_e164": phones, "phone_e164": phones[0] if phones else None,
        "email_is_generic": email.split("@")[0] in GENERIC_MAILBOXES
        if email else None,
        **fields,
    }  # fmt: skip
    return row


def organisation(key: str, title: str, **fields: Any) -> dict[str, Any]:
    system, table, record_id = key.split(":", 2)
    core, form = strip_legal_form(title)
    phones = fields.pop("phones", None)
    email = fields.get("email")
    return {
        "record_key": key, "source_system": system, "source_table": table,
        "source_record_id": record_id, "name_core": core, "legal_form": form,
        "name_key": name_key(core), "name_translit_key": translit_key(core),
        "phones_e164": phones, "phone_e164": phones[0] if phones else None,
        "email_domain": email.split("@")[1] if email else None,
        **fields,
    }  # fmt: skip


def person_table(rows: list[dict[str, Any]]) -> pa.Table:
    return pa.Table.from_pylist(rows, schema=pa.schema(PERSON_COLUMNS))


def organisation_table(rows: list[dict[str, Any]]) -> pa.Table:
    return pa.Table.from_pylist(rows, schema=pa.schema(ORGANISATION_COLUMNS))

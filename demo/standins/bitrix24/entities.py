"""The CRM entities the stand-in serves and the fields a portal holds for each."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Entity:
    """One Bitrix24 CRM entity: its REST name, its SQLite table and its fields."""

    name: str  # as in the REST method: crm.<name>.list
    table: str  # as in the seed file and the SQLite store
    fields: tuple[str, ...]  # standard (non-UF) scalar fields, in Bitrix24's order
    multi_fields: tuple[str, ...] = ()
    date_fields: frozenset[str] = frozenset()
    # fields Bitrix24 compares as numbers in filters; other *_ID fields are codes
    numeric_fields: frozenset[str] = frozenset({"ID", "ASSIGNED_BY_ID"})
    # fields the portal maintains itself; writes to them are ignored, as on Bitrix24
    read_only: frozenset[str] = frozenset(
        {"ID", "DATE_CREATE", "DATE_MODIFY", "HAS_PHONE", "HAS_EMAIL"}
    )


# the address parts crm.contact.fields and crm.company.fields list beside ADDRESS
ADDRESS_PARTS = (
    "ADDRESS_2",
    "ADDRESS_CITY",
    "ADDRESS_POSTAL_CODE",
    "ADDRESS_REGION",
    "ADDRESS_PROVINCE",
    "ADDRESS_COUNTRY",
    "ADDRESS_COUNTRY_CODE",
)

CONTACT = Entity(
    name="contact",
    table="contacts",
    fields=(
        "ID",
        "NAME",
        "SECOND_NAME",
        "LAST_NAME",
        "BIRTHDATE",
        "TYPE_ID",
        "SOURCE_ID",
        "POST",
        "ADDRESS",
        *ADDRESS_PARTS,
        "COMPANY_ID",
        "ASSIGNED_BY_ID",
        "DATE_CREATE",
        "DATE_MODIFY",
        "HAS_PHONE",
        "HAS_EMAIL",
    ),
    multi_fields=("PHONE", "EMAIL"),
    date_fields=frozenset({"BIRTHDATE", "DATE_CREATE", "DATE_MODIFY"}),
    numeric_fields=frozenset({"ID", "COMPANY_ID", "ASSIGNED_BY_ID"}),
)

COMPANY = Entity(
    name="company",
    table="companies",
    fields=(
        "ID",
        "TITLE",
        "COMPANY_TYPE",
        "INDUSTRY",
        "ADDRESS",
        *ADDRESS_PARTS,
        "ASSIGNED_BY_ID",
        "DATE_CREATE",
        "DATE_MODIFY",
        "HAS_PHONE",
        "HAS_EMAIL",
    ),
    multi_fields=("PHONE", "EMAIL"),
    date_fields=frozenset({"DATE_CREATE", "DATE_MODIFY"}),
)

DEAL = Entity(
    name="deal",
    table="deals",
    fields=(
        "ID",
        "TITLE",
        "STAGE_ID",
        "CATEGORY_ID",
        "OPPORTUNITY",
        "CURRENCY_ID",
        "CLOSED",
        "CLOSEDATE",
        "BEGINDATE",
        "CONTACT_ID",
        "COMPANY_ID",
        "ASSIGNED_BY_ID",
        "DATE_CREATE",
        "DATE_MODIFY",
    ),
    date_fields=frozenset({"CLOSEDATE", "BEGINDATE", "DATE_CREATE", "DATE_MODIFY"}),
    numeric_fields=frozenset(
        {
            "ID",
            "CATEGORY_ID",
            "OPPORTUNITY",
            "CONTACT_ID",
            "COMPANY_ID",
            "ASSIGNED_BY_ID",
        }
    ),
)

ENTITIES: dict[str, Entity] = {e.name: e for e in (CONTACT, COMPANY, DEAL)}
ENTITIES_BY_TABLE: dict[str, Entity] = {e.table: e for e in ENTITIES.values()}

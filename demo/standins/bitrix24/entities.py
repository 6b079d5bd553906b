"""The CRM entities the stand-in serves and the fields a portal holds for each."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from demo.standins.bitrix24.descriptions import (
    COMPANY_FIELDS,
    CONTACT_FIELDS,
    DEAL_FIELDS,
    FieldDescription,
)


@dataclass(frozen=True)
class Entity:
    """One Bitrix24 CRM entity: its REST name, its SQLite table and its fields."""

    name: str  # as in the REST method: crm.<name>.list
    table: str  # as in the seed file and the SQLite store
    user_field_entity: str  # ENTITY_ID of its custom fields: CRM_CONTACT, ...
    fields: tuple[str, ...]  # standard (non-UF) scalar fields, in Bitrix24's order
    descriptions: tuple[FieldDescription, ...]  # what crm.<name>.fields answers
    multi_fields: tuple[str, ...] = ()
    date_fields: frozenset[str] = frozenset()
    # fields Bitrix24 compares as numbers in filters; other *_ID fields are codes
    numeric_fields: frozenset[str] = frozenset({"ID", "ASSIGNED_BY_ID"})

    @cached_property
    def read_only(self) -> frozenset[str]:
        """Fields the portal maintains itself; an update ignores writes to them."""
        return frozenset(d.name for d in self.descriptions if d.read_only)

    @cached_property
    def writable(self) -> frozenset[str]:
        """Standard scalar fields an update writes, whether a record has them yet
        or not (multi-fields have their own rules)."""
        return frozenset(
            d.name
            for d in self.descriptions
            if not d.read_only and d.type != "crm_multifield"
        ) | (frozenset(self.fields) - self.read_only)


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
    user_field_entity="CRM_CONTACT",
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
    descriptions=CONTACT_FIELDS,
    multi_fields=("PHONE", "EMAIL", "WEB", "IM"),
    date_fields=frozenset({"BIRTHDATE", "DATE_CREATE", "DATE_MODIFY"}),
    numeric_fields=frozenset({"ID", "COMPANY_ID", "ASSIGNED_BY_ID"}),
)

COMPANY = Entity(
    name="company",
    table="companies",
    user_field_entity="CRM_COMPANY",
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
    descriptions=COMPANY_FIELDS,
    multi_fields=("PHONE", "EMAIL", "WEB", "IM"),
    date_fields=frozenset({"DATE_CREATE", "DATE_MODIFY"}),
)

DEAL = Entity(
    name="deal",
    table="deals",
    user_field_entity="CRM_DEAL",
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
    descriptions=DEAL_FIELDS,
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


def entity_named(name: str | Entity) -> Entity:
    """An entity by its REST name (contact) or table (contacts)."""
    if isinstance(name, Entity):
        return name
    key = str(name).strip().lower()
    entity = ENTITIES.get(key) or ENTITIES_BY_TABLE.get(key)
    if entity is None:
        raise KeyError(f"no CRM entity {name!r}: expected contact, company or deal")
    return entity

"""What the CRM pipeline expects of a Bitrix24 portal: methods, fields, types."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pipelines.common.landed_content import CONTENT_HASH

SOURCE_NAME = "crm"

PAGE_SIZE = 50  # Bitrix24 answers every list method 50 records at a time
MAX_BATCH_COMMANDS = 50  # Bitrix24 refuses a batch of more
SELECT = ("*", "UF_*", "PHONE", "EMAIL")  # without these Bitrix24 omits the fields
ORDER = {"ID": "ASC"}

# amoCRM (API v4): the list path of each entity an amoCRM branch lands; it has no
# deals (its leads are another thing, not landed)
AMOCRM_ENTITIES = {"contacts": "contacts", "companies": "companies"}
AMOCRM_PAGE_SIZE = 250  # the most amoCRM answers a page with
AMOCRM_REQUESTS_PER_SECOND = 7.0  # amoCRM's limit per integration

# Bitrix24 omits a multi-field on a record that has no value in it
MULTI_FIELDS = ("PHONE", "EMAIL")
# standard address fields (crm.contact.fields, crm.company.fields) that not every
# portal sends; staging reads them as null when it does not
ADDRESS_FIELDS = (
    "ADDRESS_2", "ADDRESS_POSTAL_CODE", "ADDRESS_REGION", "ADDRESS_PROVINCE",
    "ADDRESS_COUNTRY",
)  # fmt: skip
# the custom fields the CRM sync writes back into contacts and companies
# (reverse_etl/mapping.yml): a portal has them once the sync ran. Staging reads the
# ID and the segment; the others are landed as text when a portal sends them.
SYNC_FIELD_PREFIX = "UF_CRM_C360_"
SYNC_FIELDS = (
    "UF_CRM_C360_ID", "UF_CRM_C360_CUSTOMER_ID", "UF_CRM_C360_LTV",
    "UF_CRM_C360_CHURN_RISK", "UF_CRM_C360_SEGMENT", "UF_CRM_C360_DQ_FLAGS",
    "UF_CRM_C360_DUPLICATE_OF",
)  # fmt: skip
# fields a record may lack without anything breaking, and that are not reported as
# new when it has them
OPTIONAL_FIELDS = frozenset((*MULTI_FIELDS, *ADDRESS_FIELDS, *SYNC_FIELDS))

# The fields of docs/landing_formats.md: what the staging models read. One that a
# record lacks (and is not optional) stops the load; any other field a portal sends
# is landed as text and reported as a new column.
CONTACT_FIELDS = (
    "ID", "NAME", "SECOND_NAME", "LAST_NAME", "BIRTHDATE", "TYPE_ID", "SOURCE_ID",
    "POST", "ADDRESS", "ADDRESS_2", "ADDRESS_CITY", "ADDRESS_POSTAL_CODE",
    "ADDRESS_REGION", "ADDRESS_PROVINCE", "ADDRESS_COUNTRY", "COMPANY_ID",
    "ASSIGNED_BY_ID", "DATE_CREATE", "DATE_MODIFY", "HAS_PHONE", "HAS_EMAIL", "PHONE",
    "EMAIL", "UF_CRM_IIN", "UF_CRM_C360_ID", "UF_CRM_C360_SEGMENT",
)  # fmt: skip
COMPANY_FIELDS = (
    "ID", "TITLE", "COMPANY_TYPE", "INDUSTRY", "ADDRESS", "ADDRESS_2", "ADDRESS_CITY",
    "ADDRESS_POSTAL_CODE", "ADDRESS_REGION", "ADDRESS_PROVINCE", "ADDRESS_COUNTRY",
    "ASSIGNED_BY_ID", "DATE_CREATE", "DATE_MODIFY", "HAS_PHONE", "HAS_EMAIL", "PHONE",
    "EMAIL", "UF_CRM_BIN", "UF_CRM_C360_ID", "UF_CRM_C360_SEGMENT",
)  # fmt: skip
DEAL_FIELDS = (
    "ID", "TITLE", "STAGE_ID", "CATEGORY_ID", "OPPORTUNITY", "CURRENCY_ID", "CLOSED",
    "CLOSEDATE", "BEGINDATE", "CONTACT_ID", "COMPANY_ID", "ASSIGNED_BY_ID",
    "DATE_CREATE", "DATE_MODIFY", "UF_CRM_1C_INVOICE",
)  # fmt: skip

# How each Bitrix24 string is typed on landing; fields not named here stay text.
BIGINT_FIELDS = frozenset(
    {"ID", "COMPANY_ID", "CONTACT_ID", "ASSIGNED_BY_ID", "CATEGORY_ID"}
)
TIMESTAMP_FIELDS = frozenset({"DATE_CREATE", "DATE_MODIFY", "CLOSEDATE", "BEGINDATE"})
# a birth date is a calendar day; as an instant it would shift a day back in UTC
DATE_FIELDS = frozenset({"BIRTHDATE"})
DECIMAL_FIELDS = frozenset({"OPPORTUNITY"})
JSON_FIELDS = frozenset(MULTI_FIELDS)

# Naive dates (Bitrix24 always sends an offset, a hand-made export may not) are
# read in Kazakhstan's zone
DEFAULT_TZ_OFFSET_HOURS = 5

# dlt: a new table (rejects) may appear, and a new column (a field beyond the
# contract, landed as text); a column's type may not change
SCHEMA_CONTRACT = {"tables": "evolve", "columns": "evolve", "data_type": "freeze"}
PRIMARY_KEY = ("branch", "id")
# CONTENT_HASH: a hash of what each landed record says, to tell a real change from
# a write that moved only DATE_MODIFY and the CRM sync's own fields
# (helpers.content_hash)


@dataclass(frozen=True)
class CrmEntity:
    """One CRM entity as the pipeline reads it."""

    table: str  # landed table in raw_crm
    method: str  # Bitrix24 list method
    fields: tuple[str, ...]
    # the CRM sync writes SYNC_FIELDS into this entity's records
    synced: bool = False

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(f for f in self.fields if f not in OPTIONAL_FIELDS)

    @property
    def optional(self) -> tuple[str, ...]:
        """Fields a record may lack, and that are not new when it has them."""
        known = (*self.fields, *(SYNC_FIELDS if self.synced else ()))
        return tuple(dict.fromkeys(f for f in known if f in OPTIONAL_FIELDS))


ENTITIES = (
    CrmEntity("contacts", "crm.contact.list", CONTACT_FIELDS, synced=True),
    CrmEntity("companies", "crm.company.list", COMPANY_FIELDS, synced=True),
    CrmEntity("deals", "crm.deal.list", DEAL_FIELDS),
)


def column_hints(entity: CrmEntity) -> dict[str, dict[str, Any]]:
    """dlt column hints: snake_case names, explicit types, the key not null."""
    columns: dict[str, dict[str, Any]] = {
        "branch": {"data_type": "text", "nullable": False}
    }
    for field in entity.fields:
        hint: dict[str, Any] = {"data_type": "text", "nullable": True}
        if field in BIGINT_FIELDS:
            hint = {"data_type": "bigint", "nullable": True}
        elif field in TIMESTAMP_FIELDS:
            hint = {"data_type": "timestamp", "nullable": True, "timezone": True}
        elif field in DATE_FIELDS:
            hint = {"data_type": "date", "nullable": True}
        elif field in DECIMAL_FIELDS:
            hint = {
                "data_type": "decimal",
                "precision": 18,
                "scale": 2,
                "nullable": True,
            }
        elif field in JSON_FIELDS:
            hint = {"data_type": "json", "nullable": True}
        columns[field.lower()] = hint
    columns["id"]["nullable"] = False
    # null in rows landed before the hash existed: such a row lands once more
    columns[CONTENT_HASH] = {"data_type": "text", "nullable": True}
    return columns

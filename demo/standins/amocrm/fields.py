"""amoCRM's entities and custom fields as the stand-in knows them: the types a field
may have, and the fields every account has from the start."""

from __future__ import annotations

from dataclasses import dataclass

ENTITIES = ("contacts", "companies")

# the field types amoCRM's API v4 names (amocrm-api-php, CustomFieldModel::TYPE_*)
FIELD_TYPES = frozenset(
    {
        "text",
        "numeric",
        "checkbox",
        "select",
        "multiselect",
        "multitext",
        "date",
        "url",
        "textarea",
        "radiobutton",
        "streetaddress",
        "smart_address",
        "birthday",
        "legal_entity",
        "date_time",
        "price",
        "category",
        "items",
        "tracking_data",
        "linked_entity",
        "org_legal_name",
        "monetary",
        "chained_list",
        "file",
        "payer",
        "supplier",
    }
)
# types whose values are chosen from the field's enums
ENUM_TYPES = frozenset({"select", "multiselect", "radiobutton", "multitext"})
# types that hold more than one value; the others keep the first only
MULTI_VALUE_TYPES = frozenset({"multiselect", "multitext"})
TEXT_TYPES = frozenset({"text", "textarea", "url", "streetaddress"})
NUMBER_TYPES = frozenset({"numeric", "monetary"})
# dates travel as Unix timestamps
DATE_TYPES = frozenset({"date", "date_time", "birthday"})

PHONE_ENUMS = ("WORK", "WORKDD", "MOB", "FAX", "HOME", "OTHER")
EMAIL_ENUMS = ("WORK", "PRIV", "OTHER")


@dataclass(frozen=True)
class StandardField:
    """A field amoCRM creates with the account (is_predefined, not deletable)."""

    code: str
    name: str
    type: str
    enums: tuple[str, ...] = ()


STANDARD_FIELDS: dict[str, tuple[StandardField, ...]] = {
    "contacts": (
        StandardField("POSITION", "Должность", "text"),
        StandardField("PHONE", "Телефон", "multitext", PHONE_ENUMS),
        StandardField("EMAIL", "Email", "multitext", EMAIL_ENUMS),
    ),
    "companies": (
        StandardField("PHONE", "Телефон", "multitext", PHONE_ENUMS),
        StandardField("EMAIL", "Email", "multitext", EMAIL_ENUMS),
        StandardField("WEB", "Web", "url"),
        StandardField("ADDRESS", "Адрес", "textarea"),
    ),
}

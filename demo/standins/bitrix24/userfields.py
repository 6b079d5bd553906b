"""Custom fields (UF_CRM_*) as a portal keeps them: definitions and typed values.

`crm.<entity>.userfield.add` defines a field; only a defined field takes a value in
`crm.<entity>.update` (a portal ignores any other name without a word). Values are
kept the way a portal hands them back: numbers as strings ("1234.57", rounded to
the field's PRECISION), booleans as true/false, dates in ISO 8601.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, timezone
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

# the types crm.<entity>.userfield.add accepts (Bitrix24 REST reference)
USER_TYPES = (
    "string",
    "integer",
    "double",
    "boolean",
    "datetime",
    "date",
    "money",
    "url",
    "address",
    "enumeration",
    "file",
    "employee",
    "crm_status",
    "iblock_section",
    "iblock_element",
    "crm",
)
LABELS = (
    "EDIT_FORM_LABEL",
    "LIST_COLUMN_LABEL",
    "LIST_FILTER_LABEL",
    "ERROR_MESSAGE",
    "HELP_MESSAGE",
)
# languages a plain-string label is set for
LANGUAGES = ("ru", "en", "kz")
MAX_NAME_LENGTH = 50
_NAME = re.compile(r"^[A-Z0-9_]+$")
_FLAGS = {
    "MULTIPLE": "N",
    "MANDATORY": "N",
    "SHOW_FILTER": "N",
    "SHOW_IN_LIST": "N",
    "EDIT_IN_LIST": "Y",
    "IS_SEARCHABLE": "N",
}
_DEFAULT_SETTINGS: dict[str, dict[str, Any]] = {
    "string": {
        "SIZE": 20,
        "ROWS": 1,
        "REGEXP": "",
        "MIN_LENGTH": 0,
        "MAX_LENGTH": 0,
        "DEFAULT_VALUE": "",
    },
    "integer": {"SIZE": 20, "MIN_VALUE": 0, "MAX_VALUE": 0, "DEFAULT_VALUE": None},
    "double": {
        "PRECISION": 2,
        "SIZE": 20,
        "MIN_VALUE": 0,
        "MAX_VALUE": 0,
        "DEFAULT_VALUE": None,
    },
    "boolean": {"DEFAULT_VALUE": 0, "DISPLAY": "CHECKBOX"},
    "datetime": {
        "DEFAULT_VALUE": {"VALUE": "", "TYPE": "NONE"},
        "USE_SECOND": "Y",
        "USE_TIMEZONE": "N",
    },
    "date": {"DEFAULT_VALUE": {"VALUE": "", "TYPE": "NONE"}},
}
# PHP's reading of a number at the start of a string: "12abc" is 12, "abc" is 0
_PHP_FLOAT = re.compile(r"^\s*[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_PHP_INT = re.compile(r"^\s*[+-]?\d+")
_SPACED_OFFSET = re.compile(r"(\d\d:\d\d(?::\d\d)?) (\d\d:?\d\d)$")


class RefusedByPortal(ValueError):
    """A field definition or a value the portal refuses, with Bitrix24's error code
    and description."""

    def __init__(self, code: str, description: str) -> None:
        super().__init__(description)
        self.code = code
        self.description = description


def full_field_name(raw: Any) -> str:
    """FIELD_NAME as the portal completes it: C360_ID and UF_C360_ID become
    UF_CRM_C360_ID; lowercase letters are raised."""
    name = str(raw or "").strip().upper()
    if not name:
        raise RefusedByPortal("", "The 'FIELD_NAME' field is not found.")
    if name.startswith("UF_CRM_"):
        full = name
    elif name.startswith("UF_"):
        full = "UF_CRM_" + name[3:]
    else:
        full = "UF_CRM_" + name
    if not _NAME.match(full):
        raise RefusedByPortal(
            "ERROR_CORE",
            "Field name contains invalid characters. "
            "Allowed characters are: A-Z, 0-9 and _.",
        )
    if len(full) > MAX_NAME_LENGTH:
        raise RefusedByPortal(
            "ERROR_CORE", "Field name is too long (more than 50 characters)."
        )
    return full


def _yes_no(value: Any, default: str) -> str:
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return "Y" if value else "N"
    text = str(value).strip().upper()
    if text in ("Y", "1", "TRUE"):
        return "Y"
    if text in ("N", "0", "FALSE"):
        return "N"
    return text[:1] or default


def _lang_map(value: Any, fallback: dict[str, str]) -> dict[str, str]:
    if isinstance(value, Mapping):
        languages = {str(k).lower(): str(v) for k, v in value.items()}
        return {**fallback, **languages}
    if value is None or value == "":
        return dict(fallback)
    return dict.fromkeys(LANGUAGES, str(value))


def new_definition(
    entity_id: str, field_id: int, fields: Mapping[str, Any]
) -> dict[str, Any]:
    """The field crm.<entity>.userfield.add makes from its `fields` parameter."""
    fields = {str(k).upper(): v for k, v in fields.items()}
    name = full_field_name(fields.get("FIELD_NAME"))
    user_type = str(fields.get("USER_TYPE_ID") or "").strip().lower()
    if not user_type:
        raise RefusedByPortal("", "The 'USER_TYPE_ID' field is not found.")
    if user_type not in USER_TYPES:
        raise RefusedByPortal("ERROR_CORE", "Invalid custom type specified.")
    definition: dict[str, Any] = {
        "ID": str(field_id),
        "ENTITY_ID": entity_id,
        "FIELD_NAME": name,
        "USER_TYPE_ID": user_type,
        "XML_ID": None if fields.get("XML_ID") in (None, "") else fields["XML_ID"],
        "SORT": str(_php_int(fields.get("SORT")) or 100),
    }
    for flag, default in _FLAGS.items():
        definition[flag] = _yes_no(fields.get(flag), default)
    if user_type == "boolean":
        definition["MULTIPLE"] = "N"  # a yes/no field cannot be multiple
    settings = dict(_DEFAULT_SETTINGS.get(user_type, {}))
    given = fields.get("SETTINGS")
    if isinstance(given, Mapping):
        settings.update({str(k).upper(): v for k, v in given.items()})
    if user_type == "double":
        settings["PRECISION"] = min(max(_php_int(settings.get("PRECISION")), 0), 12)
    definition["SETTINGS"] = settings
    label = fields.get("LABEL")
    default_label = _lang_map(label, {}) if label not in (None, "") else {}
    for key in LABELS:
        definition[key] = _lang_map(fields.get(key), default_label)
    return definition


def seeded_definition(entity_id: str, field_id: int, name: str) -> dict[str, Any]:
    """A field that arrived with seed records: a portal's plain string field."""
    return new_definition(
        entity_id, field_id, {"FIELD_NAME": name, "USER_TYPE_ID": "string"}
    )


def as_list_item(definition: Mapping[str, Any], lang: str | None) -> dict[str, Any]:
    """A field as crm.<entity>.userfield.list answers it: labels only for a LANG,
    and then as plain strings."""
    item = {k: v for k, v in definition.items() if k not in LABELS}
    if lang:
        for key in LABELS:
            labels = definition.get(key) or {}
            item[key] = labels.get(lang.lower()) if labels else None
    return item


def as_field_description(definition: Mapping[str, Any]) -> dict[str, Any]:
    """A field as crm.<entity>.fields describes it among the standard ones."""
    name = definition["FIELD_NAME"]

    def label(key: str) -> str:
        labels = definition.get(key) or {}
        return labels.get("en") or next(iter(labels.values()), "") or name

    return {
        "type": definition["USER_TYPE_ID"],
        "isRequired": definition.get("MANDATORY") == "Y",
        "isReadOnly": False,
        "isImmutable": False,
        "isMultiple": definition.get("MULTIPLE") == "Y",
        "isDynamic": True,
        "title": name,
        "listLabel": label("LIST_COLUMN_LABEL"),
        "formLabel": label("EDIT_FORM_LABEL"),
        "filterLabel": label("LIST_FILTER_LABEL"),
        "settings": definition.get("SETTINGS") or {},
    }


def matches(definition: Mapping[str, Any], filters: Mapping[str, Any]) -> bool:
    """userfield.list's filter: exact matches only, LANG is not a condition."""
    for key, wanted in filters.items():
        key = str(key).upper()
        if key == "LANG":
            continue
        value = definition.get(key)
        if str("" if value is None else value) != str(wanted):
            return False
    return True


# -- values -----------------------------------------------------------------


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def _php_float(value: Any) -> float:
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int | float):
        return float(value)
    # Bitrix24's number field reads a decimal comma and drops spaces first
    text = str(value).replace(",", ".").replace(" ", "")
    match = _PHP_FLOAT.match(text)
    return float(match.group(0)) if match else 0.0


def _php_int(value: Any) -> int:
    if isinstance(value, bool | int):
        return int(value)
    if isinstance(value, float):
        return int(value)
    match = _PHP_INT.match(str(value if value is not None else ""))
    return int(match.group(0)) if match else 0


def _php_round(number: float, precision: int) -> float:
    """PHP's round(): halves away from zero (0.125 -> 0.13), where Python's
    round() goes to the even neighbour and trips on binary fractions."""
    if number != number or number in (float("inf"), float("-inf")):
        return number
    step = Decimal(1).scaleb(-precision)
    try:
        return float(Decimal(repr(number)).quantize(step, rounding=ROUND_HALF_UP))
    except InvalidOperation:  # more digits than a decimal context holds
        return round(number, precision)


def _number_text(number: float) -> str:
    """A number as the portal's database hands it back: 1500 for 1500.0."""
    if number == int(number) and abs(number) < 1e15:
        return str(int(number))
    return repr(number)


def _moment(value: Any, tz: timezone) -> datetime | None:
    text = _SPACED_OFFSET.sub(r"\1+\2", str(value).strip()).replace("Z", "+00:00")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        moment = None
        # the portal's own form format, as a manager types it
        for pattern in ("%d.%m.%Y %H:%M:%S", "%d.%m.%Y %H:%M", "%d.%m.%Y"):
            try:
                moment = datetime.strptime(text, pattern)
                break
            except ValueError:
                continue
    if moment is not None and moment.tzinfo is None:
        moment = moment.replace(tzinfo=tz)
    return moment


def _scalar(definition: Mapping[str, Any], value: Any, tz: timezone) -> Any:
    user_type = definition["USER_TYPE_ID"]
    if user_type == "boolean":
        # the yes/no field saves anything but empty, 0 and N as yes
        if isinstance(value, str):
            return value.strip().upper() not in ("", "0", "N", "FALSE")
        return bool(value)
    if _empty(value):
        return ""
    if user_type == "integer":
        return str(_php_int(value))
    if user_type == "double":
        precision = int(definition.get("SETTINGS", {}).get("PRECISION", 2))
        return _number_text(_php_round(_php_float(value), precision))
    if user_type in ("datetime", "date"):
        moment = _moment(value, tz)
        if moment is None:
            raise RefusedByPortal(
                "ERROR_CORE",
                f'The value of the "{definition["FIELD_NAME"]}" field is not a '
                "valid date.",
            )
        if user_type == "date":
            return moment.date().isoformat()
        return moment.astimezone(tz).replace(microsecond=0).isoformat()
    if isinstance(value, bool):
        return "Y" if value else "N"
    if isinstance(value, int | float):
        return _number_text(float(value)) if isinstance(value, float) else str(value)
    return value


def stored_value(definition: Mapping[str, Any], value: Any, tz: timezone) -> Any:
    """The value a portal keeps (and later answers) for a write to this field."""
    if definition.get("MULTIPLE") == "Y":
        if isinstance(value, Mapping):  # PHP-style fields[UF_X][0]=..
            value = list(value.values())
        items = value if isinstance(value, list) else [value]
        kept = [_scalar(definition, item, tz) for item in items if not _empty(item)]
        return [item for item in kept if not _empty(item)]
    return _scalar(definition, value, tz)

"""The mapping file: which mart column goes to which CRM field, and how.

Read with each entry's line, so that every problem found (here, against the mart's
columns, or against the CRM's own field list) names the line to fix. Nothing is
sent before the whole mapping checks out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml

# the mart the sync reads, through its contract
SYNC_MART = "marts.crm_sync_records"
# the columns that say which record a row is; the mapping maps the others
KEY_COLUMNS = ("branch", "entity_type", "crm_id")
MODES = ("overwrite", "fill_if_empty")
ENTITY_TYPES = ("contact", "company")
# each field type, and the DuckDB column types whose values it can take
FIELD_TYPES: dict[str, tuple[str, ...]] = {
    "string": ("VARCHAR",),
    "double": (
        "DOUBLE",
        "FLOAT",
        "DECIMAL",
        "INTEGER",
        "BIGINT",
        "SMALLINT",
        "HUGEINT",
    ),
    "integer": ("INTEGER", "BIGINT", "SMALLINT", "HUGEINT"),
    "boolean": ("BOOLEAN",),
    "datetime": ("TIMESTAMP", "TIMESTAMP WITH TIME ZONE", "DATE"),
}
_ENTRY_KEYS = {
    "column",
    "field",
    "type",
    "mode",
    "label",
    "empty_when",
    "resend_when_changed_by",
}
NUMBER_TYPES = ("double", "integer")


class MappingError(ValueError):
    """The mapping cannot be used; the message names every line at fault."""

    def __init__(self, problems: Iterable[str]) -> None:
        self.problems = list(problems)
        super().__init__(
            "the CRM sync mapping has problems, nothing was sent:\n  "
            + "\n  ".join(self.problems)
        )


@dataclass(frozen=True)
class FieldMapping:
    entity_type: str
    column: str
    field: str
    type: str
    mode: str
    label: str
    # fill_if_empty: the column holding the record's own value in the CRM
    empty_when: str | None
    where: str  # file:line, for messages
    # a number the CRM is not sent again until it moved by more than this share of
    # the value it confirmed (0.05: 5%); None sends every change
    resend_when_changed_by: float | None = None

    @property
    def ours(self) -> bool:
        """A field the sync owns (and creates): overwritten freely."""
        return self.mode == "overwrite"


@dataclass(frozen=True)
class CrmField:
    """A field as the CRM describes it (crm.contact.fields and the like)."""

    name: str
    type: str  # our vocabulary: string, double, integer, boolean, datetime, multi
    read_only: bool = False


@dataclass(frozen=True)
class SyncMapping:
    destination: str
    fields: tuple[FieldMapping, ...]

    def for_entity(self, entity_type: str) -> tuple[FieldMapping, ...]:
        return tuple(f for f in self.fields if f.entity_type == entity_type)

    @property
    def entity_types(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(f.entity_type for f in self.fields))

    @property
    def columns(self) -> tuple[str, ...]:
        names = [f.column for f in self.fields]
        names += [f.empty_when for f in self.fields if f.empty_when]
        return tuple(dict.fromkeys(names))


def load_mapping(path: Path, destination: str) -> SyncMapping:
    """The mapping for `destination`, its shape checked; MappingError otherwise."""
    try:
        root = yaml.compose(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise MappingError([f"{path}: cannot be read: {error}"]) from error
    problems: list[str] = []
    if not isinstance(root, yaml.MappingNode):
        raise MappingError([f"{path}: expected destinations at the top level"])
    destinations = {key.value: value for key, value in root.value}
    if destination not in destinations:
        raise MappingError(
            [
                f"{path}: no mapping for destination {destination!r}"
                f" (it has: {', '.join(destinations) or 'none'})"
            ]
        )
    entities = destinations[destination]
    fields: list[FieldMapping] = []
    if not isinstance(entities, yaml.MappingNode):
        raise MappingError([f"{_at(path, entities)}: expected entity types"])
    for key, entries in entities.value:
        if key.value not in ENTITY_TYPES:
            problems.append(
                f"{_at(path, key)}: unknown entity type {key.value!r}"
                f" (expected one of {', '.join(ENTITY_TYPES)})"
            )
            continue
        if not isinstance(entries, yaml.SequenceNode):
            problems.append(f"{_at(path, entries)}: expected a list of fields")
            continue
        for entry in entries.value:
            mapped = _entry(path, key.value, entry, problems)
            if mapped is not None:
                fields.append(mapped)
    seen: dict[tuple[str, str], str] = {}
    for mapped in fields:
        if (mapped.entity_type, mapped.field) in seen:
            problems.append(
                f"{mapped.where}: {mapped.field} is mapped twice"
                f" (also {seen[mapped.entity_type, mapped.field]})"
            )
        seen[mapped.entity_type, mapped.field] = mapped.where
    if problems:
        raise MappingError(problems)
    return SyncMapping(destination=destination, fields=tuple(fields))


def _entry(
    path: Path, entity_type: str, node: yaml.Node, problems: list[str]
) -> FieldMapping | None:
    where = _at(path, node)
    if not isinstance(node, yaml.MappingNode):
        problems.append(f"{where}: expected {{column: ..., field: ..., ...}}")
        return None
    values = {key.value: value.value for key, value in node.value}
    unknown = set(values) - _ENTRY_KEYS
    missing = {"column", "field", "type", "mode"} - set(values)
    if unknown:
        problems.append(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    if missing:
        problems.append(f"{where}: missing {', '.join(sorted(missing))}")
        return None
    if values["mode"] not in MODES:
        problems.append(
            f"{where}: mode {values['mode']!r} is not one of {', '.join(MODES)}"
        )
    if values["type"] not in FIELD_TYPES:
        problems.append(
            f"{where}: type {values['type']!r} is not one of {', '.join(FIELD_TYPES)}"
        )
    if values["mode"] == "fill_if_empty" and not values.get("empty_when"):
        problems.append(
            f"{where}: fill_if_empty needs empty_when: the column with the record's"
            " own value, so that the sync never writes over it"
        )
    tolerance = _share(values.get("resend_when_changed_by"), where, problems)
    if tolerance is not None and (
        values["type"] not in NUMBER_TYPES or values["mode"] != "overwrite"
    ):
        problems.append(
            f"{where}: resend_when_changed_by applies to the sync's own number"
            " fields (type double or integer, mode overwrite)"
        )
    return FieldMapping(
        entity_type=entity_type,
        column=values["column"],
        field=values["field"],
        type=values["type"],
        mode=values["mode"],
        label=values.get("label") or values["field"],
        empty_when=values.get("empty_when"),
        where=where,
        resend_when_changed_by=tolerance,
    )


def _share(text: str | None, where: str, problems: list[str]) -> float | None:
    """`0.05` or `5%` as 0.05; a problem named when it is not a share below 1."""
    if text is None:
        return None
    try:
        share = float(text[:-1]) / 100 if text.strip().endswith("%") else float(text)
    except ValueError:
        share = -1.0
    if not 0 < share < 1:
        problems.append(
            f"{where}: resend_when_changed_by {text!r} is not a share between 0 and"
            " 1 (0.05 or 5%)"
        )
        return None
    return share


def _at(path: Path, node: yaml.Node) -> str:
    return f"{path.name}:{node.start_mark.line + 1}"


def check_against_mart(mapping: SyncMapping, mart_columns: Mapping[str, str]) -> None:
    """Every mapped column exists in the mart, with a type its field can take."""
    problems = []
    for mapped in mapping.fields:
        for column in filter(None, (mapped.column, mapped.empty_when)):
            if column not in mart_columns:
                problems.append(
                    f"{mapped.where}: unknown column {column!r}: {SYNC_MART} has "
                    + ", ".join(sorted(set(mart_columns) - set(KEY_COLUMNS)))
                )
        column_type = mart_columns.get(mapped.column, "").upper()
        accepted = FIELD_TYPES.get(mapped.type, ())
        if column_type and not column_type.startswith(accepted):
            problems.append(
                f"{mapped.where}: type mismatch: column {mapped.column} is"
                f" {column_type}, field {mapped.field} is {mapped.type}"
            )
    if problems:
        raise MappingError(problems)


def check_against_crm(
    mapping: SyncMapping,
    entity_type: str,
    crm_fields: Mapping[str, CrmField],
    target: str,
) -> list[FieldMapping]:
    """Check one entity type's fields against the CRM's own list; return the
    sync's own fields the CRM lacks (to be created), MappingError otherwise."""
    problems, to_create = [], []
    for mapped in mapping.for_entity(entity_type):
        known = crm_fields.get(mapped.field)
        if known is None:
            if mapped.ours:
                to_create.append(mapped)
            else:
                problems.append(
                    f"{mapped.where}: unknown field {mapped.field} in {target}'s"
                    f" {entity_type}s (only the sync's own overwrite fields are"
                    " created)"
                )
            continue
        if known.read_only:
            problems.append(
                f"{mapped.where}: {mapped.field} is read-only in {target}'s"
                f" {entity_type}s"
            )
        elif known.type == "multi" and mapped.mode != "fill_if_empty":
            problems.append(
                f"{mapped.where}: {mapped.field} holds several values in {target}:"
                " map it fill_if_empty, the sync never replaces them"
            )
        elif (
            known.type not in ("multi", mapped.type)
            and not (known.type == "string" and mapped.ours is False)
            # a whole number fits a number field (amoCRM has only `numeric`)
            and (known.type, mapped.type) != ("double", "integer")
        ):
            problems.append(
                f"{mapped.where}: type mismatch: {mapped.field} is {known.type} in"
                f" {target}, the mapping says {mapped.type}"
            )
    if problems:
        raise MappingError(problems)
    return to_create

"""Filling the stand-in's account: from the demo generator's Bitrix24 seed files
(mapped to amoCRM's shapes), or from records already written the amoCRM way."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import timedelta, timezone
from pathlib import Path
from typing import Any

from demo.standins.amocrm.fields import ENTITIES
from demo.standins.amocrm.store import USER_ID, AccountStore
from demo.standins.bitrix24.store import to_instant
from demo.standins.shared import UpsertCounts

# Bitrix24's VALUE_TYPE of a phone or e-mail → amoCRM's enum code
PHONE_ENUM_OF = {
    "WORK": "WORK",
    "MOBILE": "MOB",
    "HOME": "HOME",
    "FAX": "FAX",
    "PAGER": "OTHER",
    "MAILING": "OTHER",
    "OTHER": "OTHER",
}
EMAIL_ENUM_OF = {"WORK": "WORK", "HOME": "PRIV", "MAILING": "OTHER", "OTHER": "OTHER"}

# the demo's portals write their dates with +05:00; naive ones are read there too
SEED_TZ = timezone(timedelta(hours=5))

SeedSource = Path | str | Mapping[str, Any]


def bitrix_seed_file(landing_dir: Path, branch: str | None = None) -> Path:
    """``<landing>/crm/<branch>.json``; without a branch, the only one there is."""
    folder = Path(landing_dir) / "crm"
    if branch:
        return folder / f"{branch}.json"
    files = sorted(folder.glob("*.json"))
    if len(files) != 1:
        names = ", ".join(f.stem for f in files) or "none"
        raise ValueError(
            f"{folder}: pick the branch whose CRM to load into the amoCRM stand-in "
            f"(found: {names})"
        )
    return files[0]


def load_document(source: SeedSource, branch: str | None = None) -> dict[str, Any]:
    """The seed as a mapping: a landing folder (its ``crm/<branch>.json``), a JSON
    file, or a mapping given directly."""
    if isinstance(source, Mapping):
        return dict(source)
    path = Path(source)
    if path.is_dir():
        path = bitrix_seed_file(path, branch)
    with path.open(encoding="utf-8") as handle:
        document = json.load(handle)
    if not isinstance(document, dict):
        raise ValueError(f"{path}: expected a JSON object with contacts/companies")
    return document


def _is_bitrix(record: Mapping[str, Any]) -> bool:
    return "ID" in record and "id" not in record


def _instant(text: Any) -> int:
    stamp = to_instant(text, SEED_TZ)
    return int(stamp) if stamp is not None else AccountStore.now()


def _multitext(
    store: AccountStore, entity: str, code: str, items: Any, enums: Mapping[str, str]
) -> dict[str, Any] | None:
    described = store.field_by_code(entity, code)
    by_code = {e["value"]: e["id"] for e in (described or {}).get("enums") or []}
    values = []
    for item in items or []:
        if not isinstance(item, dict) or not str(item.get("VALUE", "")).strip():
            continue
        enum = enums.get(str(item.get("VALUE_TYPE", "")).upper(), "OTHER")
        values.append(
            {
                "value": str(item["VALUE"]),
                "enum_id": by_code.get(enum),
                "enum_code": enum,
            }
        )
    if described is None or not values:
        return None
    return {"field_id": described["id"], "values": values}


def _text(store: AccountStore, entity: str, code: str, value: Any) -> dict | None:
    if value in (None, ""):
        return None
    described = store.ensure_field(entity, code)
    return {"field_id": described["id"], "values": [{"value": str(value)}]}


def from_bitrix(
    store: AccountStore, entity: str, record: Mapping[str, Any]
) -> dict[str, Any]:
    """A Bitrix24 contact or company as an amoCRM one: NAME/LAST_NAME become
    first_name/last_name/name, TITLE the company's name, PHONE/EMAIL the multitext
    fields with amoCRM's enum codes, POST and ADDRESS the standard fields, and each
    filled UF_CRM_<X> a text field with code X."""
    values = [
        _multitext(store, entity, "PHONE", record.get("PHONE"), PHONE_ENUM_OF),
        _multitext(store, entity, "EMAIL", record.get("EMAIL"), EMAIL_ENUM_OF),
    ]
    amo: dict[str, Any] = {"id": int(record["ID"])}
    if entity == "contacts":
        first = str(record.get("NAME") or "")
        last = str(record.get("LAST_NAME") or "")
        amo.update(
            name=" ".join(part for part in (first, last) if part),
            first_name=first,
            last_name=last,
        )
        values.append(_text(store, entity, "POSITION", record.get("POST")))
    else:
        amo["name"] = str(record.get("TITLE") or "")
        values.append(_text(store, entity, "ADDRESS", record.get("ADDRESS")))
    for key, value in record.items():
        if key.startswith("UF_CRM_"):
            values.append(_text(store, entity, key[len("UF_CRM_") :], value))
    created = _instant(record.get("DATE_CREATE"))
    amo.update(
        responsible_user_id=int(record.get("ASSIGNED_BY_ID") or USER_ID),
        group_id=0,
        created_by=USER_ID,
        updated_by=USER_ID,
        created_at=created,
        updated_at=_instant(record.get("DATE_MODIFY") or record.get("DATE_CREATE")),
        closest_task_at=None,
        is_deleted=False,
        custom_fields_values=[v for v in values if v],
    )
    embedded: dict[str, Any] = {"tags": []}
    company_id = str(record.get("COMPANY_ID") or "").strip()
    if entity == "contacts" and company_id.isdigit():
        embedded["companies"] = [{"id": int(company_id)}]
    amo["_embedded"] = embedded
    return amo


def from_amo(
    store: AccountStore, entity: str, record: Mapping[str, Any]
) -> dict[str, Any]:
    """A record written the amoCRM way (``custom_fields_values`` by ``field_id`` or
    ``field_code``; unknown codes become text fields), completed with defaults."""
    now = AccountStore.now()
    amo = {k: v for k, v in record.items() if k not in ("_links", "account_id")}
    amo["id"] = int(record["id"])
    if entity == "contacts":
        amo.setdefault("first_name", "")
        amo.setdefault("last_name", "")
        amo.setdefault(
            "name", " ".join(p for p in (amo["first_name"], amo["last_name"]) if p)
        )
    amo.setdefault("name", "")
    for key, default in (
        ("responsible_user_id", USER_ID),
        ("group_id", 0),
        ("created_by", USER_ID),
        ("updated_by", USER_ID),
        ("created_at", now),
        ("updated_at", now),
        ("closest_task_at", None),
        ("is_deleted", False),
    ):
        amo.setdefault(key, default)
    values = []
    for item in record.get("custom_fields_values") or []:
        if item.get("field_id") is not None:
            described = store.field(entity, int(item["field_id"]))
            if described is None:
                raise ValueError(f"{entity} {amo['id']}: no field {item['field_id']}")
        else:
            described = store.ensure_field(entity, str(item["field_code"]))
        enums = {e["value"]: e["id"] for e in described.get("enums") or []}
        cleaned = []
        for value in item.get("values") or []:
            one = {"value": value["value"]}
            if described["type"] == "multitext":
                code = value.get("enum_code") or next(iter(enums), None)
                one.update(enum_id=enums.get(code), enum_code=code)
            cleaned.append(one)
        values.append({"field_id": described["id"], "values": cleaned})
    amo["custom_fields_values"] = values
    amo.setdefault("_embedded", {"tags": []})
    return amo


def seed_account(
    store: AccountStore,
    source: SeedSource,
    branch: str | None = None,
    reseed: bool = False,
) -> dict[str, UpsertCounts]:
    """Upsert a seed's contacts and companies into the store (by id; a stored
    record is replaced only by a newer updated_at)."""
    document = load_document(source, branch)
    if reseed:
        store.reset()
    counts = {}
    for entity in ENTITIES:
        items = document.get(entity) or []
        if not isinstance(items, Sequence) or not all(
            isinstance(r, Mapping) for r in items
        ):
            raise ValueError(f"seed: {entity} must be a list of JSON objects")
        records = [
            from_bitrix(store, entity, r)
            if _is_bitrix(r)
            else from_amo(store, entity, r)
            for r in items
        ]
        counts[entity] = store.upsert(entity, records)
    return counts

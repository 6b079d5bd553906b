"""Small Bitrix24-shaped records for seeding stand-in portals in tests and examples."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

TZ = timezone(timedelta(hours=5))
BASE = datetime(2025, 3, 1, 12, 0, 0, tzinfo=TZ)


def stamp(minutes: int) -> str:
    return (BASE + timedelta(minutes=minutes)).isoformat()


def contact(i: int, minutes: int | None = None, **extra: Any) -> dict[str, Any]:
    record = {
        "ID": str(i),
        "NAME": f"Иван{i}",
        "SECOND_NAME": "Сергеевич",
        "LAST_NAME": f"Петров{i}",
        "BIRTHDATE": "1990-05-01T00:00:00+05:00",
        "TYPE_ID": "CLIENT",
        "SOURCE_ID": "CALL",
        "POST": "",
        "ADDRESS": "ул. Абая 1",
        "ADDRESS_CITY": "Алматы",
        "COMPANY_ID": str(i % 7 + 1),
        "ASSIGNED_BY_ID": "1",
        "DATE_CREATE": stamp(0),
        "DATE_MODIFY": stamp(i if minutes is None else minutes),
        "HAS_PHONE": "Y",
        "HAS_EMAIL": "N",
        "PHONE": [
            {
                "ID": str(1000 + i),
                "VALUE_TYPE": "WORK",
                "VALUE": f"+7 777 {i:07d}",
                "TYPE_ID": "PHONE",
            }
        ],
        "UF_CRM_IIN": f"{900501300000 + i}",
        "UF_CRM_C360_ID": "",
        "UF_CRM_C360_SEGMENT": "",
    }
    record.update(extra)
    return record


def company(i: int, minutes: int | None = None, **extra: Any) -> dict[str, Any]:
    record = {
        "ID": str(i),
        "TITLE": f"ТОО «Ромашка-{i}»",
        "COMPANY_TYPE": "CUSTOMER",
        "INDUSTRY": "MANUFACTURING",
        "ADDRESS": "пр. Республики 5",
        "ADDRESS_CITY": "Астана",
        "ASSIGNED_BY_ID": "1",
        "DATE_CREATE": stamp(0),
        "DATE_MODIFY": stamp(i if minutes is None else minutes),
        "HAS_PHONE": "N",
        "HAS_EMAIL": "Y",
        "EMAIL": [
            {
                "ID": str(5000 + i),
                "VALUE_TYPE": "WORK",
                "VALUE": f"info{i}@romashka.kz",
                "TYPE_ID": "EMAIL",
            }
        ],
        "UF_CRM_BIN": f"{100440000000 + i}",
        "UF_CRM_C360_ID": "",
        "UF_CRM_C360_SEGMENT": "",
    }
    record.update(extra)
    return record


def deal(i: int, minutes: int | None = None, **extra: Any) -> dict[str, Any]:
    record = {
        "ID": str(i),
        "TITLE": f"Поставка {i}",
        "STAGE_ID": "WON" if i % 2 else "NEW",
        "CATEGORY_ID": "0",
        "OPPORTUNITY": f"{i * 1000}.00",
        "CURRENCY_ID": "KZT",
        "CLOSED": "Y" if i % 2 else "N",
        "CLOSEDATE": stamp(1440),
        "BEGINDATE": stamp(0),
        "CONTACT_ID": str(i),
        "COMPANY_ID": str(i % 7 + 1),
        "ASSIGNED_BY_ID": "1",
        "DATE_CREATE": stamp(0),
        "DATE_MODIFY": stamp(i if minutes is None else minutes),
        "UF_CRM_1C_INVOICE": f"АЛ-{i:06d}",
    }
    record.update(extra)
    return record


def seed_document(
    branch: str, contacts: int = 0, companies: int = 0, deals: int = 0
) -> dict[str, Any]:
    return {
        "portal": branch,
        "contacts": [contact(i) for i in range(1, contacts + 1)],
        "companies": [company(i) for i in range(1, companies + 1)],
        "deals": [deal(i) for i in range(1, deals + 1)],
    }


def write_seed(landing: Path, branch: str, document: dict[str, Any]) -> Path:
    path = landing / "crm" / f"{branch}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    return path

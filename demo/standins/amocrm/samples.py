"""Small amoCRM-shaped records for seeding the stand-in in tests and examples."""

from __future__ import annotations

from typing import Any

# 2025-03-01 12:00 +05:00, as the Bitrix24 samples' base moment
BASE = 1740812400


def contact(i: int, minutes: int | None = None, **extra: Any) -> dict[str, Any]:
    record = {
        "id": i,
        "first_name": f"Иван{i}",
        "last_name": f"Петров{i}",
        "responsible_user_id": 1,
        "created_at": BASE,
        "updated_at": BASE + 60 * (i if minutes is None else minutes),
        "custom_fields_values": [
            {
                "field_code": "PHONE",
                "values": [{"value": f"+7 777 {i:07d}", "enum_code": "MOB"}],
            },
            {"field_code": "EMAIL", "values": [{"value": f"ivan{i}@example.kz"}]},
            {"field_code": "IIN", "values": [{"value": f"{900501300000 + i}"}]},
        ],
        "_embedded": {"tags": [], "companies": [{"id": i % 7 + 1}]},
    }
    record.update(extra)
    return record


def company(i: int, minutes: int | None = None, **extra: Any) -> dict[str, Any]:
    record = {
        "id": i,
        "name": f"ТОО «Ромашка-{i}»",
        "responsible_user_id": 1,
        "created_at": BASE,
        "updated_at": BASE + 60 * (i if minutes is None else minutes),
        "custom_fields_values": [
            {
                "field_code": "PHONE",
                "values": [{"value": f"+7 727 {i:07d}", "enum_code": "WORK"}],
            },
            {"field_code": "BIN", "values": [{"value": f"{100440000000 + i}"}]},
        ],
    }
    record.update(extra)
    return record


def seed_document(contacts: int = 0, companies: int = 0) -> dict[str, Any]:
    """``{"contacts": [...], "companies": [...]}``, ids from 1; for ``seed_from``."""
    return {
        "contacts": [contact(i) for i in range(1, contacts + 1)],
        "companies": [company(i) for i in range(1, companies + 1)],
    }

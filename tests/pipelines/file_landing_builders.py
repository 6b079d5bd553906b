"""Builders for landing files exactly as docs/landing_formats.md describes them."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

# The contract's headers, written out here rather than imported, so that a
# change in a source's settings that breaks the contract fails a test.
ONEC_HEADERS = {
    "counterparties": [
        "Код",
        "Наименование",
        "НаименованиеПолное",
        "ВидКонтрагента",
        "БИН_ИИН",
        "Телефон",
        "ЭлектроннаяПочта",
        "Адрес",
        "Город",
        "ДатаСоздания",
        "ДатаИзменения",
        "ПометкаУдаления",
    ],
    "invoices": [
        "Номер",
        "Дата",
        "КодКонтрагента",
        "Филиал",
        "Сумма",
        "СуммаНДС",
        "Валюта",
        "Комментарий",
        "ДатаИзменения",
    ],
    "payments": [
        "Номер",
        "Дата",
        "КодКонтрагента",
        "НомерСчета",
        "Сумма",
        "Валюта",
        "ФормаОплаты",
        "ДатаИзменения",
    ],
}

CDR_HEADER = [
    "calldate", "clid", "src", "dst", "dcontext", "channel", "dstchannel",
    "lastapp", "lastdata", "duration", "billsec", "disposition", "amaflags",
    "accountcode", "uniqueid", "userfield",
]  # fmt: skip


def onec_csv_bytes(
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    encoding: str = "cp1251",
) -> bytes:
    """A 1C export: ';', '"' quoting where needed, CRLF line ends."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", quotechar='"', lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


def write_onec(
    landing: Path,
    table: str,
    rows: Sequence[Sequence[str]],
    header: Sequence[str] | None = None,
    encoding: str = "cp1251",
    extra: bytes = b"",
) -> Path:
    """Write onec/<table>.csv; `extra` bytes are appended as they are (bad lines)."""
    path = landing / "onec" / f"{table}.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    content = onec_csv_bytes(header or ONEC_HEADERS[table], rows, encoding)
    path.write_bytes(content + extra)
    return path


def invoice(
    number: str = "АЛ-000001",
    date: str = "01.03.2025",
    counterparty: str = "00-000001",
    amount: str = "150000,50",
    vat: str = "18000,06",
    comment: str = "Поставка; срочно",
    modified_at: str = "01.03.2025 12:30:00",
) -> list[str]:
    return [
        number,
        date,
        counterparty,
        "Алматы",
        amount,
        vat,
        "KZT",
        comment,
        modified_at,
    ]


def counterparty(code: str = "00-000001", name: str = "ТОО «Ромашка»") -> list[str]:
    return [
        code,
        name,
        f"Товарищество с ограниченной ответственностью {name}",
        "Юридическое лицо",
        "123456789012",
        "+7 777 123 45 67, 8 (727) 250-00-00",
        "info@romashka.kz",
        "г. Алматы, ул. Абая, 1",
        "Алматы",
        "15.01.2020",
        "01.03.2025 09:00:00",
        "Нет",
    ]


def call(
    uniqueid: str,
    calldate: str = "2025-03-01 10:00:00",
    src: str = "87771234567",
    dst: str = "101",
    duration: str = "65",
    billsec: str = "60",
) -> list[str]:
    return [
        calldate,
        f'"Иван Петров" <{src}>',
        src,
        dst,
        "from-trunk",
        "SIP/trunk-0001",
        "SIP/101-0002",
        "Dial",
        "SIP/101,30",
        duration,
        billsec,
        "ANSWERED",
        "3",
        "",
        uniqueid,
        "",
    ]


def write_cdr(
    landing: Path,
    month: str,
    calls: Sequence[Sequence[str]],
    header: Sequence[str] = CDR_HEADER,
    extra: bytes = b"",
) -> Path:
    path = landing / "telephony" / f"cdr-{month}.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(calls)
    path.write_bytes(buffer.getvalue().encode("utf-8") + extra)
    return path


def ticket(
    ticket_id: int,
    updated_at: str = "2025-03-02T10:00:00Z",
    status: str = "open",
    **changes: Any,
) -> dict[str, Any]:
    record = {
        "id": ticket_id,
        "subject": "Не пришла накладная",
        "description": "Жду накладную по счёту АЛ-000001",
        "status": status,
        "priority": "normal",
        "channel": "email",
        "requester": {
            "name": "Иван Петров",
            "email": "ivan.petrov@mail.ru",
            "phone": "+7 777 123 45 67",
        },
        "satisfaction_score": 4,
        "tags": ["invoice"],
        "created_at": "2025-03-01T09:15:00Z",
        "updated_at": updated_at,
    }
    record.update(changes)
    return record


def write_tickets(
    landing: Path, name: str, tickets: Sequence[dict[str, Any]], extra: bytes = b""
) -> Path:
    path = landing / "support" / f"tickets-{name}.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = "".join(json.dumps(t, ensure_ascii=False) + "\n" for t in tickets)
    path.write_bytes(lines.encode("utf-8") + extra)
    return path


def landed_tables(query: Callable[[str], list[tuple]], schema: str) -> list[str]:
    """The tables a schema holds in the warehouse (none when nothing was landed)."""
    rows = query(
        "select table_name from information_schema.tables "
        f"where table_schema = '{schema}' order by 1"
    )
    return [name for (name,) in rows]

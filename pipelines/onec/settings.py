"""What the 1C exports look like: file names, Cyrillic headers, columns, types."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from pipelines.common.landed_content import CONTENT_HASH

SOURCE_NAME = "onec"
SUBDIR = "onec"
ENCODING = "cp1251"
ENCODING_LABEL = "windows-1251"
DELIMITER = ";"
# 1C writes local office time without an offset
LOCAL_TIMEZONE = ZoneInfo("Asia/Almaty")
# dlt extracts a list of rows much faster than the same rows one by one
BATCH_ROWS = 5_000
PROGRESS_EVERY_ROWS = 100_000

TEXT = "text"
DATE = "date"
TIMESTAMP = "timestamp"
AMOUNT = "amount"

SCHEMA_CONTRACT = {"tables": "evolve", "columns": "freeze", "data_type": "freeze"}


@dataclass(frozen=True)
class Column:
    header: str  # as 1C writes it
    name: str  # as landed
    kind: str = TEXT
    # an export without it (an older 1C configuration) still lands, the column null
    optional: bool = False


@dataclass(frozen=True)
class ExportFile:
    """One 1C export file and the table it lands in (the file name without .csv)."""

    table: str
    columns: tuple[Column, ...]
    primary_key: str

    @property
    def file_name(self) -> str:
        return f"{self.table}.csv"

    @property
    def headers(self) -> list[str]:
        """The headers every export of this file must have."""
        return [column.header for column in self.columns if not column.optional]

    @property
    def optional_headers(self) -> list[str]:
        return [column.header for column in self.columns if column.optional]


def _common_document(*middle: Column) -> tuple[Column, ...]:
    return (
        Column("Номер", "number"),
        Column("Дата", "date", DATE),
        Column("КодКонтрагента", "counterparty_code"),
        *middle,
        Column("ДатаИзменения", "modified_at", TIMESTAMP),
    )


EXPORT_FILES: tuple[ExportFile, ...] = (
    ExportFile(
        "counterparties",
        (
            Column("Код", "code"),
            Column("Наименование", "name"),
            Column("НаименованиеПолное", "full_name"),
            Column("ВидКонтрагента", "kind"),
            Column("БИН_ИИН", "bin_iin"),
            Column("Телефон", "phone"),
            Column("ЭлектроннаяПочта", "email"),
            Column("Адрес", "address"),
            Column("Город", "city"),
            # e.g. 050000; text, since a postcode is a code, not a number
            Column("Индекс", "postcode", optional=True),
            # kept for private persons (Физическое лицо), empty for the others
            Column("ДатаРождения", "birth_date", DATE, optional=True),
            Column("ДатаСоздания", "created_date", DATE),
            Column("ДатаИзменения", "modified_at", TIMESTAMP),
            Column("ПометкаУдаления", "deletion_mark"),
        ),
        "code",
    ),
    ExportFile(
        "contact_persons",
        (
            Column("Код", "code"),
            Column("КодКонтрагента", "counterparty_code"),
            Column("ФИО", "full_name"),
            Column("Должность", "position"),
            Column("Телефон", "phone"),
            Column("ЭлектроннаяПочта", "email"),
            Column("ДатаРождения", "birth_date", DATE),
            Column("ДатаИзменения", "modified_at", TIMESTAMP),
        ),
        "code",
    ),
    ExportFile(
        "invoices",
        _common_document(
            Column("Филиал", "branch"),
            Column("Сумма", "amount", AMOUNT),
            Column("СуммаНДС", "vat_amount", AMOUNT),
            Column("Валюта", "currency"),
            Column("Комментарий", "comment"),
        ),
        "number",
    ),
    ExportFile(
        "payments",
        _common_document(
            Column("НомерСчета", "invoice_number"),
            Column("Сумма", "amount", AMOUNT),
            Column("Валюта", "currency"),
            Column("ФормаОплаты", "payment_method"),
        ),
        "number",
    ),
    ExportFile(
        "shipments",
        _common_document(
            Column("НомерСчета", "invoice_number"),
            Column("Сумма", "amount", AMOUNT),
            Column("Валюта", "currency"),
            Column("Склад", "warehouse"),
        ),
        "number",
    ),
    ExportFile(
        "returns",
        _common_document(
            Column("НомерРеализации", "shipment_number"),
            Column("Сумма", "amount", AMOUNT),
            Column("Валюта", "currency"),
            Column("Причина", "reason"),
        ),
        "number",
    ),
    ExportFile(
        "discounts",
        _common_document(
            Column("НомерСчета", "invoice_number"),
            Column("Сумма", "amount", AMOUNT),
            Column("ВидСкидки", "discount_type"),
        ),
        "number",
    ),
)

_DLT_TYPES = {
    TEXT: {"data_type": "text"},
    DATE: {"data_type": "date"},
    TIMESTAMP: {"data_type": "timestamp", "timezone": True},
    AMOUNT: {"data_type": "decimal", "precision": 18, "scale": 2},
}


def column_hints(export: ExportFile) -> dict[str, dict]:
    """dlt column hints: every column typed up front, nothing inferred from data."""
    columns = {
        column.name: {
            **_DLT_TYPES[column.kind],
            "nullable": column.name != export.primary_key,
        }
        for column in export.columns
    }
    # null in rows landed before the hash existed: such a row lands once more
    columns[CONTENT_HASH] = {"data_type": "text", "nullable": True}
    return columns

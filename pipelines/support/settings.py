"""What the help-desk ticket exports look like: file pattern, keys, types."""

from __future__ import annotations

SOURCE_NAME = "support"
SUBDIR = "support"
FILE_PATTERN = "tickets-*.jsonl"
TABLE = "tickets"
PRIMARY_KEY = "id"
CURSOR = "updated_at"
BATCH_ROWS = 5_000
PROGRESS_EVERY_ROWS = 100_000

TICKET_KEYS = (
    "id",
    "subject",
    "description",
    "status",
    "priority",
    "channel",
    "requester",
    "satisfaction_score",
    "tags",
    "created_at",
    "updated_at",
)
REQUESTER_KEYS = ("name", "email", "phone")
TEXT_KEYS = ("subject", "description", "status", "priority", "channel")
TIMESTAMP_KEYS = ("created_at", "updated_at")

COLUMNS: dict[str, dict] = {
    "id": {"data_type": "bigint", "nullable": False},
    **{key: {"data_type": "text", "nullable": True} for key in TEXT_KEYS},
    **{
        f"requester_{key}": {"data_type": "text", "nullable": True}
        for key in REQUESTER_KEYS
    },
    "satisfaction_score": {"data_type": "bigint", "nullable": True},
    "tags": {"data_type": "json", "nullable": True},
    "created_at": {"data_type": "timestamp", "timezone": True, "nullable": True},
    # when one run holds several versions of a ticket, the newest one is kept
    "updated_at": {
        "data_type": "timestamp",
        "timezone": True,
        "nullable": False,
        "dedup_sort": "desc",
    },
}

SCHEMA_CONTRACT = {"tables": "evolve", "columns": "freeze", "data_type": "freeze"}

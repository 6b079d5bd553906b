"""What the Asterisk CDR exports look like: file pattern, header, types."""

from __future__ import annotations

from zoneinfo import ZoneInfo

SOURCE_NAME = "telephony"
SUBDIR = "telephony"
FILE_PATTERN = "cdr-*.csv"
TABLE = "calls"
# UTF-8 (a byte-order mark is read too); a PBX that writes windows-1251 is read so
# when most of the file's non-ASCII lines say so (FileFingerprint.encoding)
ENCODING = "utf-8"
ENCODING_LABEL = "UTF-8"
DELIMITER = ","
PRIMARY_KEY = "uniqueid"
CALLDATE = "calldate"
# the PBX writes office local time without an offset
LOCAL_TIMEZONE = ZoneInfo("Asia/Almaty")
BATCH_ROWS = 5_000
PROGRESS_EVERY_ROWS = 100_000

HEADER = (
    "calldate",
    "clid",
    "src",
    "dst",
    "dcontext",
    "channel",
    "dstchannel",
    "lastapp",
    "lastdata",
    "duration",
    "billsec",
    "disposition",
    "amaflags",
    "accountcode",
    "uniqueid",
    "userfield",
)
WHOLE_SECONDS = ("duration", "billsec")

COLUMNS: dict[str, dict] = {
    name: {"data_type": "text", "nullable": True} for name in HEADER
}
COLUMNS[CALLDATE] = {"data_type": "timestamp", "timezone": True, "nullable": False}
COLUMNS[PRIMARY_KEY] = {"data_type": "text", "nullable": False}
for _name in WHOLE_SECONDS:
    COLUMNS[_name] = {"data_type": "bigint", "nullable": True}

SCHEMA_CONTRACT = {"tables": "evolve", "columns": "freeze", "data_type": "freeze"}

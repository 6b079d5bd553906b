"""A quiet console logger for `c360 run`: what assets say, not Dagster's events."""

from __future__ import annotations

import logging
import sys
import time

from dagster import Field, logger

_LEVELS = {"DEBUG": 10, "INFO": 20, "WARNING": 30, "ERROR": 40}


class _ProgressFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        stamp = time.strftime("%H:%M:%S", time.localtime(record.created))
        step = getattr(record, "dagster_meta", {}).get("step_key") or ""
        message = record.__dict__.get("dagster_meta", {}).get("orig_message") or (
            record.getMessage()
        )
        prefix = f"[{step}] " if step else ""
        return f"{stamp}  {prefix}{message}"


class _AssetMessagesOnly(logging.Filter):
    """Keep what assets log and every failure; drop Dagster's step-by-step events."""

    def filter(self, record: logging.LogRecord) -> bool:
        meta = getattr(record, "dagster_meta", {}) or {}
        event = meta.get("dagster_event")
        if event is None:
            return True
        return record.levelno >= logging.ERROR or "FAILURE" in str(
            getattr(event, "event_type_value", "")
        )


@logger(
    config_schema={"log_level": Field(str, is_required=False, default_value="INFO")},
    description="Compact progress for terminals: asset messages and failures only.",
)
def progress_logger(init_context) -> logging.Logger:
    level = _LEVELS.get(init_context.logger_config["log_level"].upper(), logging.INFO)
    log = logging.getLogger("customer360.run")
    log.setLevel(level)
    log.propagate = False
    log.handlers.clear()
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(_ProgressFormatter())
    handler.addFilter(_AssetMessagesOnly())
    log.addHandler(handler)
    return log

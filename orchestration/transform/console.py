"""What a dbt build says while it runs: its problems and its models' own words to the
run's log, its per-node lines only to dbt.log when a person watches `c360 run`."""

from __future__ import annotations

import contextlib
import io
import logging
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from dagster import AssetExecutionContext
from dagster_dbt.core.dbt_cli_invocation import DbtCliInvocation

# the logger `c360 run` selects (orchestration/progress.py); a run configured with
# it has a person at a terminal, who sees progress lines instead of dbt's
PROGRESS_LOGGER = "progress"
# dbt colours its status words even in structured events
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


@contextlib.contextmanager
def dagster_dbt_notes_muted(quiet: bool) -> Iterator[None]:
    """dagster-dbt's own notes (the dbt command it runs, each test it cannot attach
    to one asset) below errors, while `quiet`: they are about the project's wiring,
    not this run, and a person at `c360 run` does not need them."""
    if not quiet:
        yield
        return
    notes = logging.getLogger("dagster.builtin")
    level = notes.level
    notes.setLevel(logging.ERROR)
    try:
        yield
    finally:
        notes.setLevel(level)


def uses_progress_logger(context: AssetExecutionContext) -> bool:
    loggers = (context.run.run_config or {}).get("loggers") or {}
    return PROGRESS_LOGGER in loggers


class _EchoCatcher(io.TextIOBase):
    """Takes what dagster-dbt echoes to stdout: one write per dbt event, and one per
    line that dbt printed outside its events (a Python model's `print`)."""

    def __init__(self) -> None:
        self.writes: list[str] = []

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self.writes.append(text)
        return len(text)

    def take(self) -> list[str]:
        taken, self.writes = self.writes, []
        return taken


def build_events(
    invocation: DbtCliInvocation, context: AssetExecutionContext, quiet: bool
) -> Iterator[Any]:
    """dagster-dbt's Dagster events for the build, as `invocation.stream()` gives them.

    dbt's warnings and errors go to the run's log by level, each once, so that they
    reach the screen and the Dagster UI with the node they are about. When `quiet`,
    dbt's hundreds of per-node lines stay off the screen (dbt.log has them); the
    lines dbt printed outside its events are the models' own words and are logged.
    """
    catcher = _EchoCatcher()
    redirect = (
        contextlib.redirect_stdout(catcher) if quiet else contextlib.nullcontext()
    )
    said: set[str] = set()
    # the same conversion `stream()` makes, one raw event at a time, so that each
    # event's level and the stray lines between events can be told apart
    events = invocation.stream_raw_events()
    while True:
        event = None
        try:
            # dagster-dbt echoes inside next(), and raises dbt's failure at the end
            with redirect:
                event = next(events)
        except StopIteration:
            break
        finally:
            # each write is an event's echo or a stray line; the event just read
            # was echoed last
            writes = catcher.take()
            stray = writes[:-1] if event is not None else writes
            _keep_stray_lines(context, stray, invocation.target_path / "dbt.log")
        info = event.raw_event["info"]
        message = _ANSI.sub("", str(info.get("msg") or "")).strip()
        level = info.get("level")
        if message and level in ("warn", "error") and message not in said:
            said.add(message)
            if level == "error":
                context.log.error(f"dbt: {message}")
            else:
                context.log.warning(f"dbt: {message}")
        yield from event.to_default_asset_events(
            manifest=invocation.manifest,
            dagster_dbt_translator=invocation.dagster_dbt_translator,
            context=context,
            target_path=invocation.target_path,
            project=invocation.project,
        )


def _keep_stray_lines(
    context: AssetExecutionContext, writes: list[str], dbt_log: Path
) -> None:
    """Lines dbt printed outside its events (a Python model's report): to the run's
    log, and appended to dbt.log, where dbt's own lines about that model are."""
    lines = [line for text in writes for line in text.splitlines() if line.strip()]
    if not lines:
        return
    for line in lines:
        context.log.info(f"dbt: {line.strip()}")
    stamp = time.strftime("%H:%M:%S")
    with contextlib.suppress(OSError), dbt_log.open("a", encoding="utf-8") as log:
        log.write("".join(f"{stamp}  {line}\n" for line in lines))

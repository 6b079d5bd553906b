"""Which process holds the warehouse when DuckDB will not let this one write it.

DuckDB admits one writing process per file, and a process that only reads still
keeps a writer out. Its refusal names the holder's program and PID; this module
turns it into what a person needs: that process's command line, and what to do.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import duckdb

# DuckDB's words for it, e.g. `Could not set lock on file "/x/warehouse.duckdb":
# Conflicting lock is held in /usr/bin/python3 (PID 12345) by user x.` (the "by
# user" part is missing in some versions)
_LOCK_CONFLICT = re.compile(
    r'Could not set lock on file "(?P<path>[^"]+)": '
    r"Conflicting lock is held in (?P<program>.*?) \(PID (?P<pid>\d+)\)"
)
# a command line longer than this is cut: a dbt build's `--vars` run long
_COMMAND_LINE_SHOWN = 200


class WarehouseInUse(Exception):
    """Another process holds the warehouse; the message names it and says what to do."""

    def __init__(
        self, path: str, pid: int, command_line: str, dagster_run: bool = False
    ):
        self.path = path
        self.pid = pid
        self.command_line = command_line
        # the holder is a run Dagster started (the schedule, a sensor, the UI)
        self.dagster_run = dagster_run
        if dagster_run:
            what_to_do = (
                "a run of the schedule, the 1C sensor or the UI is writing it: wait"
                " for it to finish (`c360 ui`, Runs), then run again, or start the"
                " run from the UI, where runs queue one at a time."
            )
        else:
            what_to_do = (
                f"wait for it to finish, or stop it (kill {pid}) if it is left over"
                " from a run that was killed; a BI tool or notebook holding the"
                " warehouse open must close it first. Then run again."
            )
        super().__init__(
            f"the warehouse {path} is in use by another process, PID {pid} "
            f"({command_line}): {what_to_do}"
        )


def warehouse_in_use(message: str) -> WarehouseInUse | None:
    """The holder named in a DuckDB lock conflict anywhere in `message`, or None.

    dlt quotes DuckDB's refusal inside its own connection error, so this also finds
    it there.
    """
    found = _LOCK_CONFLICT.search(message)
    if found is None:
        return None
    pid = int(found["pid"])
    return WarehouseInUse(
        found["path"],
        pid,
        command_line_of(pid) or found["program"],
        dagster_run=_is_dagster_run(pid),
    )


def _command_words(pid: int) -> list[str]:
    """The process's command line, word by word, from /proc (Linux); [] when it
    cannot be read (gone, another user's on a hardened /proc, no /proc)."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return [word.decode(errors="replace") for word in raw.split(b"\0") if word]


def _is_dagster_run(pid: int) -> bool:
    """Whether the process is a Dagster run worker: `dagster api execute_run`, or
    the process a Dagster code server (`dagster api grpc`) spawns for a run."""
    words = _command_words(pid)
    if _is_dagster(words, ("execute_run", "execute_step", "resume_run")):
        return True
    if "--multiprocessing-fork" not in words:
        return False
    try:
        # /proc/<pid>/stat: "pid (name) state ppid ...", the name may hold spaces
        stat = Path(f"/proc/{pid}/stat").read_text()
        parent = int(stat.rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return False
    return _is_dagster(_command_words(parent), ("grpc", "code-server"))


def _is_dagster(words: list[str], commands: tuple[str, ...]) -> bool:
    return any(Path(word).name == "dagster" for word in words) and any(
        word in commands for word in words
    )


def command_line_of(pid: int) -> str | None:
    """The process's command line as a shell would take it, from /proc (Linux);
    None when it cannot be read (gone, another user's on a hardened /proc, no /proc).
    """
    words = _command_words(pid)
    if not words:
        return None  # a zombie or a kernel thread
    line = shlex.join(words)
    if len(line) > _COMMAND_LINE_SHOWN:
        line = line[: _COMMAND_LINE_SHOWN - 1] + "…"
    return line


def ensure_writable(warehouse_path: Path | str) -> None:
    """Raise WarehouseInUse when another process holds the warehouse.

    Opens it read-write and closes it at once, before a command starts work that
    would otherwise fail minutes in (or, through dlt, with a message about
    credentials and the internet connection). A warehouse not yet created is fine.
    """
    path = Path(warehouse_path)
    if not path.exists():
        return
    try:
        duckdb.connect(str(path)).close()
    except duckdb.IOException as error:
        in_use = warehouse_in_use(str(error))
        if in_use is None:
            raise
        raise in_use from error

"""`c360-dbt-child`: dbt, started so that it dies with the run that started it.

dagster-dbt runs `dbt build` as a child process. When the run is killed outright
(`kill -9`, the out-of-memory killer, a closed container), nothing tells that child:
dbt goes on holding the warehouse, and the next run cannot open it. This command is
the `dbt_executable` the run hands to dagster-dbt: it asks Linux to kill it when its
parent dies, then becomes the real dbt (exec keeps that request).

Imports nothing heavy: it runs before every dbt command.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

# the PID of the process that starts dbt through this command, set by
# `started_by_this_process()` around the call that starts it
PARENT_PID_VARIABLE = "C360_DBT_PARENT_PID"
# <linux/prctl.h>: deliver a signal to this process when its parent dies
PR_SET_PDEATHSIG = 1


@contextmanager
def started_by_this_process() -> Iterator[None]:
    """Tell the dbt children started within this block which process they belong to.

    Linux sends the signal when the *thread* that started the child ends, not the
    process: start dbt from a thread that lives as long as the run (Dagster's
    in-process executor runs each step on the thread that called it).
    """
    before = os.environ.get(PARENT_PID_VARIABLE)
    os.environ[PARENT_PID_VARIABLE] = str(os.getpid())
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(PARENT_PID_VARIABLE, None)
        else:
            os.environ[PARENT_PID_VARIABLE] = before


def _die_with_parent() -> None:
    if not sys.platform.startswith("linux"):
        # no such request elsewhere (macOS, Windows): there, a dbt build can outlive a
        # killed run and hold the warehouse until it finishes on its own
        return
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"prctl(PR_SET_PDEATHSIG): {os.strerror(errno)}")
    expected = os.environ.get(PARENT_PID_VARIABLE)
    if expected and os.getppid() != int(expected):
        # the run died between starting this process and the request above, so no
        # signal will come: do not start a dbt nobody waits for
        print(
            f"c360-dbt-child: the run that started dbt (PID {expected}) has ended;"
            " not starting dbt",
            file=sys.stderr,
        )
        sys.exit(1)


def main() -> None:
    _die_with_parent()
    # the dbt installed beside this Python, as the run would have started it
    dbt = str(Path(sys.executable).parent / "dbt")
    os.execv(dbt, [dbt, *sys.argv[1:]])


if __name__ == "__main__":
    main()

"""A dbt Python model's words to the person running the build, one whole line at a time.

dbt runs Python models in threads of its own process, and with `--log-format json`
(what Dagster runs) every line dbt writes to stdout is one JSON event. `print()`
writes its text and its newline in two calls, so another thread's event can land
between them: that event's line no longer parses, and Dagster silently loses it (a
dbt test's result, a model's success). One `write` of the whole line cannot be split.
"""

from __future__ import annotations

import sys


def report(model: str, message: str) -> None:
    """`int_ltv_fits: the fit was rejected: ...` on stdout, as one write."""
    sys.stdout.write(f"{model}: {message}\n")
    sys.stdout.flush()

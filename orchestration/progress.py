"""`c360 run`'s terminal view: one line per step with its counts, problems as they come.

The run's Dagster events (a table landed, a model built, a check evaluated, a step
started or failed) reach the "progress" logger, which hands them to the run's
`RunView`. On a terminal the view keeps a live line per step (rich); elsewhere (CI,
cron, a log file) it prints plain lines: when a step starts and ends, and at most
every `PLAIN_INTERVAL` seconds while it runs. Warnings and errors are printed as they
come in both.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Any, TextIO

from dagster import DagsterEventType, Field, logger

from customer360.build_inputs import UNCHANGED_SINCE

_LEVELS = {"DEBUG": 10, "INFO": 20, "WARNING": 30, "ERROR": 40}
# seconds between two lines about a running step when nobody watches a terminal
PLAIN_INTERVAL = 15.0


@dataclass(frozen=True)
class StepPlan:
    """A step of the run as planned: what it materialises and checks."""

    key: str
    label: str
    kind: str  # landing, dbt, sync, publish or other
    assets: int = 0
    checks: int = 0


@dataclass
class StepProgress:
    plan: StepPlan
    status: str = "waiting"  # running, done, failed, skipped
    assets_done: int = 0
    rows_landed: int = 0
    rows_rejected: int = 0
    checks_passed: int = 0
    checks_failed: int = 0
    sync_sent: int = 0
    sync_considered: int = 0
    # a dbt build left out: the run that built what it would have built
    unchanged_since: str = ""
    note: str = ""
    # the dbt tests already counted from their observations (one per upstream asset)
    observed_tests: set[str] = field(default_factory=set)
    started: float | None = None
    finished: float | None = None

    @property
    def seconds(self) -> float:
        if self.started is None:
            return 0.0
        return (self.finished or time.monotonic()) - self.started

    def counts(self) -> str:
        """What the step has done so far, in the words of its kind."""
        plan = self.plan
        parts: list[str] = []
        if plan.kind == "landing":
            if self.assets_done:
                tables = (
                    f"{plan.assets}"
                    if self.assets_done == plan.assets
                    else f"{self.assets_done} of {plan.assets}"
                )
                parts.append(
                    f"{tables} tables,"
                    f" {self.rows_landed:,} rows landed,"
                    f" {self.rows_rejected:,} rejected"
                )
        elif plan.kind == "dbt" and self.unchanged_since:
            return (
                f"left out: nothing it reads changed since run {self.unchanged_since},"
                f" whose {self.assets_done} models and seeds stand"
            )
        elif plan.kind == "dbt":
            parts.append(f"{self.assets_done}/{plan.assets} models and seeds")
        elif plan.kind == "sync" and (self.sync_considered or self.status == "done"):
            parts.append(
                f"{self.sync_sent:,} records sent of"
                f" {self.sync_considered:,} considered"
            )
        elif plan.kind == "publish" and self.status == "done":
            parts.append("published")
        checked = self.checks_passed + self.checks_failed
        if checked or plan.checks:
            total = max(plan.checks, checked)
            text = f"{self.checks_passed}/{total} checks passed"
            if self.checks_failed:
                text += f", {self.checks_failed} failed"
            parts.append(text)
        return "; ".join(parts)

    def line(self) -> str:
        """`dbt build   ok   78/78 models and seeds; 489/489 checks passed  2 min 03 s`,
        the step's line."""
        if self.status == "running" and not (self.counts() or self.note):
            return f"{self.plan.label:<15} started"
        mark = {"done": "ok", "failed": "FAILED", "skipped": "skipped"}.get(
            self.status, "..."
        )
        text = f"{self.plan.label:<15} {mark:<6} {self.counts()}".rstrip()
        if self.status == "running" and self.note:
            text += f"  ({self.note})" if self.counts() else f" {self.note}"
        if self.started is not None and self.seconds >= 1:
            text += f"  {_duration(self.seconds)}"
        return text


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.0f} s"
    return f"{int(seconds // 60)} min {int(seconds % 60):02d} s"


@dataclass
class RunView:
    """What a person sees of one run; fed with the run's log records."""

    stream: TextIO
    plans: list[StepPlan] = field(default_factory=list)
    # a live display (rich) on a terminal, plain lines elsewhere
    live: bool | None = None
    steps: dict[str, StepProgress] = field(default_factory=dict)
    # messages below this level are left out (Dagster's events are always read)
    message_level: int = logging.INFO
    printed: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.live is None:
            self.live = bool(getattr(self.stream, "isatty", lambda: False)())
        for plan in self.plans:
            self.steps[plan.key] = StepProgress(plan)
        self._lock = threading.Lock()
        self._progress = None
        self._tasks: dict[str, Any] = {}
        self._last_plain: dict[str, float] = {}

    # the view's life: opened before the run, closed after it

    def open(self) -> None:
        if not self.live:
            return
        from rich.console import Console
        from rich.progress import Progress, SpinnerColumn, TextColumn

        # a live view was asked for: redraw even where rich would not guess a terminal
        console = Console(file=self.stream, highlight=False, force_terminal=True)
        self._progress = Progress(
            SpinnerColumn(finished_text=" "),
            TextColumn("{task.description}"),
            console=console,
            transient=False,
            refresh_per_second=4,
        )
        self._progress.start()

    def close(self) -> None:
        if self._progress is not None:
            self._refresh_all()
            self._progress.stop()
            self._progress = None

    # fed by the logger

    def handle(self, record: logging.LogRecord) -> None:
        with self._lock:
            self._handle(record)

    def _handle(self, record: logging.LogRecord) -> None:
        meta = getattr(record, "dagster_meta", {}) or {}
        step_key = meta.get("step_key") or ""
        event = meta.get("dagster_event")
        message = meta.get("orig_message") or record.getMessage()
        step = self._step(step_key) if step_key else None
        if event is None:
            if record.levelno < self.message_level:
                return
            if record.levelno >= logging.WARNING:
                self.say(message, step_key, record.levelno)
            elif step is not None:
                step.note = message.splitlines()[0][:100] if message else ""
                self._update(step)
            return
        kind = event.event_type
        if step is None:
            return
        if kind == DagsterEventType.STEP_START:
            step.status, step.started = "running", time.monotonic()
            self._update(step, started=True)
        elif kind == DagsterEventType.ASSET_MATERIALIZATION:
            step.assets_done += 1
            self._count_materialization(step, event)
            self._update(step)
        elif kind == DagsterEventType.ASSET_CHECK_EVALUATION:
            self._count_check(step, event.event_specific_data, step_key)
            self._update(step)
        elif kind == DagsterEventType.ASSET_OBSERVATION:
            self._count_observed_test(step, event)
            self._update(step)
        elif kind == DagsterEventType.STEP_SUCCESS:
            step.status, step.finished = "done", time.monotonic()
            step.note = ""
            self._update(step, finished=True)
        elif kind == DagsterEventType.STEP_FAILURE:
            step.status, step.finished = "failed", time.monotonic()
            step.note = ""
            self._update(step, finished=True)
        elif kind == DagsterEventType.STEP_SKIPPED:
            step.status = "skipped"
            self._update(step, finished=True)

    def _step(self, key: str) -> StepProgress:
        if key not in self.steps:
            # a step the plan did not know of (a view opened without one)
            self.steps[key] = StepProgress(StepPlan(key, key, _kind_of(key)))
        return self.steps[key]

    def _count_materialization(self, step: StepProgress, event: Any) -> None:
        metadata = event.step_materialization_data.materialization.metadata
        values = {name: getattr(v, "value", v) for name, v in metadata.items()}
        if step.plan.kind == "landing":
            step.rows_landed += _int(values.get("rows_landed"))
            step.rows_rejected += _int(values.get("rows_rejected"))
        elif step.plan.kind == "dbt" and UNCHANGED_SINCE in values:
            step.unchanged_since = str(values[UNCHANGED_SINCE])
        elif step.plan.kind == "sync":
            for name, value in values.items():
                if name.endswith("_sent"):
                    step.sync_sent += _int(value)
                elif name.endswith("_considered"):
                    step.sync_considered += _int(value)

    def _count_check(self, step: StepProgress, evaluation: Any, step_key: str) -> None:
        if evaluation.passed:
            step.checks_passed += 1
            return
        step.checks_failed += 1
        severity = getattr(getattr(evaluation, "severity", None), "value", "ERROR")
        what = (
            f"check {evaluation.check_name} on"
            f" {evaluation.asset_key.to_user_string()} failed"
        )
        why = evaluation.description or _check_detail(evaluation.metadata)
        self.say(
            f"{what}: {why}" if why else what,
            step_key,
            logging.WARNING if severity == "WARN" else logging.ERROR,
        )

    def _count_observed_test(self, step: StepProgress, event: Any) -> None:
        """A dbt test that dagster-dbt could not attach to one asset is observed, not
        checked: counted with the checks all the same (dbt says so when it fails)."""
        observation = event.asset_observation_data.asset_observation
        metadata = observation.metadata
        status = getattr(metadata.get("status"), "value", None)
        test = getattr(metadata.get("unique_id"), "value", None)
        if status is None or test is None or test in step.observed_tests:
            return
        step.observed_tests.add(test)
        if status in ("pass", "success"):
            step.checks_passed += 1
        elif status in ("fail", "error", "warn"):
            step.checks_failed += 1

    # output

    def say(self, message: str, step_key: str = "", level: int = logging.INFO) -> None:
        """A line above the progress lines, kept on the screen."""
        label = self.steps[step_key].plan.label if step_key in self.steps else step_key
        marker = ""
        if level >= logging.ERROR:
            marker = "ERROR"
        elif level >= logging.WARNING:
            marker = "warning"
        head = " ".join(p for p in (marker, f"[{label}]" if label else "") if p)
        text = f"{head} {message}" if head else message
        self._print(text)

    def _print(self, text: str) -> None:
        self.printed.append(text)
        if self._progress is not None:
            self._progress.console.print(text, markup=False, highlight=False)
        else:
            stamp = time.strftime("%H:%M:%S")
            for line in text.splitlines() or [""]:
                self.stream.write(f"{stamp}  {line}\n")
            self.stream.flush()

    def _update(
        self, step: StepProgress, started: bool = False, finished: bool = False
    ) -> None:
        if self._progress is not None:
            key = step.plan.key
            if key not in self._tasks:
                self._tasks[key] = self._progress.add_task(step.line(), total=None)
            self._progress.update(
                self._tasks[key],
                description=step.line(),
                total=1 if finished else None,
                completed=1 if finished else 0,
            )
            return
        now = time.monotonic()
        last = self._last_plain.get(step.plan.key)
        if started or finished or last is None or now - last >= PLAIN_INTERVAL:
            self._last_plain[step.plan.key] = now
            self._print(step.line())

    def _refresh_all(self) -> None:
        for step in self.steps.values():
            if step.plan.key in self._tasks:
                self._update(step, finished=step.status != "running")


def _kind_of(step_key: str) -> str:
    if step_key.startswith("land_"):
        return "landing"
    if step_key.endswith("_dbt"):
        return "dbt"
    if "sync" in step_key:
        return "sync"
    if "publish" in step_key:
        return "publish"
    return "other"


def _int(value: object) -> int:
    return value if isinstance(value, int) else 0


def _check_detail(metadata: Any) -> str:
    """A failed check's own words when it gave no description (dbt's: failures)."""
    values = {name: getattr(v, "value", v) for name, v in (metadata or {}).items()}
    if values.get("dagster_dbt/failed_row_count") not in (None, ""):
        return f"{values['dagster_dbt/failed_row_count']} failing rows"
    for name in ("message", "failed_rows"):
        if values.get(name) not in (None, ""):
            return f"{name}: {values[name]}"
    return ""


# the views of the runs this process is running, by run id: the logger below finds
# its view here (run_main_job registers it before the run starts)
_VIEWS: dict[str, RunView] = {}


def watch(run_id: str, view: RunView) -> None:
    _VIEWS[run_id] = view


def unwatch(run_id: str) -> None:
    _VIEWS.pop(run_id, None)


class _ToView(logging.Handler):
    def __init__(self, view: RunView) -> None:
        super().__init__()
        self.view = view

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.view.handle(record)
        except Exception:  # a view's fault must not fail the run
            self.handleError(record)


@logger(
    config_schema={"log_level": Field(str, is_required=False, default_value="INFO")},
    description="Compact progress for terminals: a line per step, and problems.",
)
def progress_logger(init_context) -> logging.Logger:
    level = _LEVELS.get(init_context.logger_config["log_level"].upper(), logging.INFO)
    view = _VIEWS.get(init_context.run_id) or RunView(sys.stdout, live=False)
    view.message_level = level
    log = logging.getLogger(f"customer360.run.{init_context.run_id}")
    # Dagster logs its events (a step started, an asset materialised) at DEBUG
    log.setLevel(logging.DEBUG)
    log.propagate = False
    log.handlers.clear()
    log.addHandler(_ToView(view))
    return log

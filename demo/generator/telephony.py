"""Asterisk CDR exports, one CSV a month: customers calling in, managers calling out."""

from __future__ import annotations

import contextlib
import csv
import heapq
import itertools
import random
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import IO

from demo.generator import mess, names
from demo.generator.clock import cdr_datetime, epoch, month_of
from demo.generator.draws import between, inclusive, pick, weighted
from demo.generator.ground_truth import GroundTruthWriter
from demo.generator.phones import PhoneBook, format_as
from demo.generator.report import Tally
from demo.generator.world import Customer, Person

COLUMNS = [
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
]
# each branch office has its own trunk number and extension range
OFFICE_LINES = {
    "almaty": "7273550000",
    "astana": "7172550000",
    "shymkent": "7252550000",
}
EXTENSIONS = {"almaty": 100, "astana": 200, "shymkent": 300}
DISPOSITIONS = (
    ("ANSWERED", 0.72),
    ("NO ANSWER", 0.18),
    ("BUSY", 0.06),
    ("FAILED", 0.04),
)
_DISPOSITION_NAMES = tuple(name for name, _ in DISPOSITIONS)
_DISPOSITION_CUM = [
    sum(w for _, w in DISPOSITIONS[: i + 1]) for i in range(len(DISPOSITIONS))
]
# how a number reaches the CDR: the trunk presents it, or a manager dials it
_PRESENTED = ("87771234567", "+77771234567", "7771234567")
_DIALLED = ("87771234567", "8 (777) 123-45-67", "+7 777 123 45 67", "7771234567")
# lines of a month sorted in memory at once (about 100 MB); a longer month, from
# about a million customers on, is sorted in runs of this size and merged
SORT_RUN_LINES = 500_000


class CdrWriter:
    corruption = None  # a corruption.Corruptor when a harsher profile is chosen

    def __init__(
        self,
        landing_dir: Path,
        truth: GroundTruthWriter,
        tally: Tally,
        phone_book: PhoneBook,
    ) -> None:
        self.folder = landing_dir / "telephony"
        self.folder.mkdir(parents=True, exist_ok=True)
        self.truth = truth
        self.tally = tally
        self.phone_book = phone_book
        self._files: dict[str, object] = {}
        self._writers: dict[str, csv.Writer] = {}  # type: ignore[name-defined]
        self.rows: dict[str, int] = {}
        self._sequence = 0

    def _writer(self, month: str):
        writer = self._writers.get(month)
        if writer is None:
            path = self.folder / f"cdr-{month}.csv"
            # an increment extends the month file that is already there
            exists = path.exists()
            handle = path.open("a", encoding="utf-8", newline="")
            writer = csv.writer(handle, lineterminator="\n")
            if not exists:
                writer.writerow(COLUMNS)
            self._files[month], self._writers[month] = handle, writer
            self.rows.setdefault(month, 0)
        return writer

    def call(
        self,
        rng: random.Random,
        day: int,
        number: str,
        branch: str,
        caller: Person | None,
        inbound: bool,
    ) -> None:
        """One call between the office and `number`; caller None means a stranger."""
        seconds = between(rng, 8 * 3600, 20 * 3600)
        extension = str(EXTENSIONS[branch] + between(rng, 1, 40))
        disposition = weighted(rng, _DISPOSITION_NAMES, _DISPOSITION_CUM)
        billsec = int(rng.expovariate(1 / 150)) + 5 if disposition == "ANSWERED" else 0
        duration = billsec + between(rng, 3, 30)
        self._sequence += 1
        moment = epoch(day, seconds)
        uniqueid = f"{moment}.{self._sequence}"
        channel_id = f"{self._sequence * 2654435761 % 16**8:08x}"
        if inbound:
            src = format_as(pick(rng, _PRESENTED), number)
            name = ""
            if caller is not None and rng.random() < 0.3:
                name = f"{caller.first} {caller.last}"
                if rng.random() < mess.LATIN_SPELLING_RATE:
                    name = names.transliterate(name)
            if name and self.corruption is not None:
                name = self.corruption.caller_name(uniqueid, name)
            clid = f'"{name}" <{src}>' if name else f"<{src}>"
            dst = extension if rng.random() < 0.5 else OFFICE_LINES[branch]
            row = [
                cdr_datetime(day, seconds),
                clid,
                src,
                dst,
                "from-trunk",
                f"SIP/trunk-{channel_id}",
                f"SIP/{extension}-{channel_id[::-1]}"
                if disposition == "ANSWERED"
                else "",
                "Dial",
                f"SIP/{extension},30",
            ]
        else:
            dst = format_as(pick(rng, _DIALLED), number)
            row = [
                cdr_datetime(day, seconds),
                f'"{extension}" <{extension}>',
                extension,
                dst,
                "from-internal",
                f"SIP/{extension}-{channel_id}",
                f"SIP/trunk-{channel_id[::-1]}",
                "Dial",
                f"SIP/trunk/8{number},60",  # the trunk dials digits, whatever was typed
            ]
        row += [str(duration), str(billsec), disposition, "3", "", uniqueid, ""]
        month = month_of(day)
        self._writer(month).writerow(row)
        self.rows[month] += 1
        self.tally.count("unknown_caller", caller is None)
        self.truth.record(
            "telephony", "calls", uniqueid, "person", caller.entity_id if caller else ""
        )

    def customer_calls(
        self,
        rng: random.Random,
        customer: Customer,
        first_day: int,
        last_day: int,
        count: int,
    ) -> None:
        """`count` calls with the customer's people (some from strangers instead)."""
        people = customer.people
        first_day = max(first_day, min(customer.created_day, last_day))
        for _ in range(count):
            day = inclusive(rng, first_day, last_day)
            branch = (
                pick(rng, customer.branches)
                if customer.branches
                else customer.home_branch
            )
            if rng.random() < mess.UNKNOWN_CALLER_RATE:
                self.call(
                    rng, day, self.phone_book.mobile(rng, 0.15), branch, None, True
                )
                continue
            person = pick(rng, people)
            number = person.phone_on(day)
            if person.family_phone and rng.random() < 0.5:
                number = person.family_phone
            elif (
                person.uses_switchboard
                and customer.organisation is not None
                and rng.random() < 0.3
            ):
                number = customer.organisation.switchboard
            self.call(rng, day, number, branch, person, rng.random() < 0.6)
            # a recycled number: its new owner, a stranger, rings the office
            if (
                person.stale_recycled
                and rng.random() < 0.3
                and person.phone_changed_day < last_day
            ):
                stranger_day = inclusive(
                    rng, max(person.phone_changed_day, first_day), last_day
                )
                self.call(rng, stranger_day, person.stale_phone, branch, None, True)

    def close(self) -> None:
        """Close the month files and sort each by calldate, as cdr exports are."""
        for handle in self._files.values():
            handle.close()  # type: ignore[attr-defined]
        for month in self._files:
            _sort_lines(self.folder / f"cdr-{month}.csv")

    def file_rows(self) -> dict[str, int]:
        return {f"telephony/cdr-{month}.csv": rows for month, rows in self.rows.items()}


def _sort_lines(path: Path) -> None:
    """Sort the file's lines after its header, no more than two runs in memory.

    calldate leads each line in a fixed-width form: text order is time order.
    """
    with contextlib.ExitStack() as spilled:
        runs: list[Iterable[str]] = []
        latest: list[str] = []
        with path.open(encoding="utf-8", newline="") as handle:
            header = handle.readline()
            while lines := list(itertools.islice(handle, SORT_RUN_LINES)):
                if latest:
                    runs.append(_spill(spilled, latest, path.parent))
                lines.sort()
                latest = lines
        runs.append(latest)
        with path.open("w", encoding="utf-8", newline="") as handle:
            handle.write(header)
            # each run is sorted; merging them gives what one sort of all would
            handle.writelines(heapq.merge(*runs))


def _spill(stack: contextlib.ExitStack, lines: list[str], folder: Path) -> IO[str]:
    """The sorted run in a temporary file, which the stack deletes on closing."""
    run = tempfile.TemporaryFile("w+", encoding="utf-8", newline="", dir=folder)  # noqa: SIM115
    stack.enter_context(run)
    run.writelines(lines)
    run.seek(0)
    return run


def poisson_small(rng: random.Random, mean: float) -> int:
    """A Poisson draw by multiplying uniforms: fast for the small means used here."""
    limit = 2.718281828459045 ** (-mean)
    count, product = 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count

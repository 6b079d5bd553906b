"""Bitrix24 webhook client (batches, waits, retries, masked token), record typing."""

from __future__ import annotations

import contextlib
import json
import logging
import re
import time
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlencode

import requests

from customer360.settings import SECRETS_FILE_NAME, CrmPortal
from pipelines.common import landed_content
from pipelines.common.backoff import jittered_backoff
from pipelines.crm.settings import (
    BIGINT_FIELDS,
    DATE_FIELDS,
    DECIMAL_FIELDS,
    DEFAULT_TZ_OFFSET_HOURS,
    JSON_FIELDS,
    MAX_BATCH_COMMANDS,
    PAGE_SIZE,
    SYNC_FIELD_PREFIX,
    TIMESTAMP_FIELDS,
    CrmEntity,
)

log = logging.getLogger(__name__)

_SHORTEST_MASKED_TOKEN = 6
_TOKEN_IN_PATH = re.compile(r"(/rest/[^/\s]+/)[^/\s\"']+(/)")


class MaskWebhookTokens(logging.Filter):
    """Hides the token in webhook paths that urllib3 logs at DEBUG level."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = _TOKEN_IN_PATH.sub(r"\1***\2", message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


def _mask_library_logs() -> None:
    connection_log = logging.getLogger("urllib3.connectionpool")
    if not any(isinstance(f, MaskWebhookTokens) for f in connection_log.filters):
        connection_log.addFilter(MaskWebhookTokens())


_mask_library_logs()

_DEFAULT_TZ = timezone(timedelta(hours=DEFAULT_TZ_OFFSET_HOURS))
_AUTH_ERRORS = {
    "INVALID_CREDENTIALS",
    "expired_token",
    "invalid_token",
    "NO_AUTH_FOUND",
}


class CrmError(RuntimeError):
    """A CRM portal could not be read; the message names branch, method and page."""


class CrmAuthError(CrmError):
    """The portal refused the webhook: a setting to fix, not a fault to retry."""


class CrmRequestError(CrmError):
    """A request kept failing after retries, or the portal rejected it."""


@dataclass(frozen=True)
class Page:
    """One page of a list method."""

    start: int
    records: list[dict[str, Any]]
    total: int | None  # None where the CRM does not say (amoCRM)
    # the portal's clock when the listing began (``time.date_start``), if it said
    portal_started_at: str | None = None


class Bitrix24Client:
    """Calls one portal's inbound webhook.

    The rate limit (503 QUERY_LIMIT_EXCEEDED) is waited out however long it takes
    up to `max_rate_limit_wait`, because the bucket always drains; so is a method
    blocked for its operating time (429 OPERATION_TIME_LIMIT), until the moment the
    portal last said its window resets; gateway errors, dropped connections,
    timeouts and cut-short JSON are retried `max_retries` times with exponential
    backoff and jitter (so that several clients do not retry in step); a refused
    token is raised at once. `pace`, when given, is called before every request:
    a client-side bucket that keeps the portal's from overflowing at all.
    """

    def __init__(
        self,
        portal: CrmPortal,
        max_retries: int = 5,
        backoff_seconds: float = 0.5,
        max_backoff_seconds: float = 10.0,
        rate_limit_wait: float = 0.5,
        max_rate_limit_wait: float = 600.0,
        timeout: float = 60.0,
        session: requests.Session | None = None,
        pace: Callable[[], object] | None = None,
    ) -> None:
        self.portal = portal
        self.max_retries = max_retries
        self.backoff_seconds = backoff_seconds
        self.max_backoff_seconds = max_backoff_seconds
        self.rate_limit_wait = rate_limit_wait
        self.max_rate_limit_wait = max_rate_limit_wait
        self.timeout = timeout
        self.session = session or requests.Session()
        self.pace = pace
        self.requests_sent = 0
        self.rate_limited = 0
        self.operation_time_limited = 0
        # method -> the portal's `time.operating_reset_at` in its last answer
        self._operating_reset_at: dict[str, float] = {}

    @property
    def masked_url(self) -> str:
        """The portal's webhook with the token hidden: safe for messages and rejects."""
        base = self.portal.base_url.rstrip("/")
        return f"{base}/rest/{self.portal.user_id}/***/"

    def _mask(self, text: str) -> str:
        text = _TOKEN_IN_PATH.sub(r"\1***\2", text)
        token = self.portal.token
        # a very short token would blank out ordinary words; real ones are long
        if token and len(token) >= _SHORTEST_MASKED_TOKEN:
            text = text.replace(token, "***")
        return text

    def _where(self, method: str, page: int | None) -> str:
        where = f"{self.portal.branch} CRM portal {self.masked_url}, {method}"
        return where + (f", page start={page}" if page is not None else "")

    def _auth_error(self, code: str) -> CrmAuthError:
        branch = self.portal.branch
        return CrmAuthError(
            f"the {branch} CRM portal ({self.masked_url}) refused the webhook "
            f"({code}): set the right token in "
            f"C360_CRM_WEBHOOK_TOKEN_{branch.upper()} or C360_CRM_WEBHOOK_TOKEN "
            f"(or [crm] webhook_token in {SECRETS_FILE_NAME}; with dlt alone, "
            f"sources.crm.webhook_token or sources.crm.branch_tokens.{branch}), "
            "and check [crm] user_id and the webhook's CRM permission"
        )

    def call(
        self, method: str, params: Mapping[str, Any], page: int | None = None
    ) -> dict[str, Any]:
        """The JSON answer of one method call, after waits and retries."""
        url = self.portal.method_url(method)
        failures = 0
        waited = 0.0
        while True:
            problem = self._attempt(url, method, params, page)
            if isinstance(problem, dict):
                return problem
            if problem in ("rate_limited", "operation_time_limit"):
                if waited >= self.max_rate_limit_wait:
                    raise CrmRequestError(
                        f"{self._where(method, page)}: still over the "
                        + (
                            "rate limit"
                            if problem == "rate_limited"
                            else "method's operating-time limit"
                        )
                        + f" after waiting {waited:.0f}s"
                    )
                if problem == "rate_limited":
                    self.rate_limited += 1
                    # the bucket drains at 2 requests a second: a short wait will do
                    pause = self.rate_limit_wait
                else:
                    self.operation_time_limited += 1
                    pause = self.pause_for(method)
                    log.warning(
                        "%s: blocked for its operating time; paused %.0fs until"
                        " the portal's window resets",
                        self._where(method, page),
                        pause,
                    )
                time.sleep(pause)
                waited += pause
                continue
            failures += 1
            if failures > self.max_retries:
                raise CrmRequestError(
                    f"{self._where(method, page)}: failed {failures} times, "
                    f"last: {problem}"
                )
            delay = self.backoff(failures)
            log.warning(
                "%s: %s; retry %d/%d in %.1fs",
                self._where(method, page),
                problem,
                failures,
                self.max_retries,
                delay,
            )
            time.sleep(delay)

    def backoff(self, failures: int) -> float:
        return jittered_backoff(
            failures, self.backoff_seconds, self.max_backoff_seconds
        )

    def pause_for(self, method: str) -> float:
        """Seconds until the method's operating window resets, as last reported;
        a minute when the portal never said (its window is ten)."""
        reset_at = self._operating_reset_at.get(method)
        if reset_at is None:
            return 60.0
        return min(max(reset_at - time.time(), 0.0) + 1.0, 600.0)

    def _remember_operating(self, method: str, body: Mapping[str, Any]) -> None:
        timing = body.get("time")
        if isinstance(timing, dict) and timing.get("operating_reset_at"):
            with contextlib.suppress(TypeError, ValueError):
                self._operating_reset_at[method] = float(timing["operating_reset_at"])

    def _attempt(
        self, url: str, method: str, params: Mapping[str, Any], page: int | None
    ) -> dict[str, Any] | str:
        """The answer, or a short description of a retryable problem."""
        if self.pace is not None:
            self.pace()
        self.requests_sent += 1
        try:
            response = self.session.post(url, json=params, timeout=self.timeout)
        except (
            requests.ConnectionError,
            requests.Timeout,
            requests.exceptions.ChunkedEncodingError,  # cut off mid-answer
        ) as error:
            # requests puts the URL, token included, in its messages
            return self._mask(f"{type(error).__name__}: {error}")
        try:
            body = response.json()
        except ValueError as error:
            if response.status_code >= 500:
                return f"HTTP {response.status_code}"
            if response.status_code == 401:
                raise self._auth_error("HTTP 401") from None
            if response.ok:
                return f"malformed JSON ({error})"
            raise CrmRequestError(
                f"{self._where(method, page)}: HTTP {response.status_code}, "
                "not a Bitrix24 answer"
            ) from None
        code = str(body.get("error", "")) if isinstance(body, dict) else ""
        if response.status_code == 401 or code in _AUTH_ERRORS:
            raise self._auth_error(code or "HTTP 401")
        if isinstance(body, dict):
            self._remember_operating(method, body)
        if code == "QUERY_LIMIT_EXCEEDED":
            return "rate_limited"
        if code == "OPERATION_TIME_LIMIT":
            return "operation_time_limit"
        if response.status_code >= 500:
            return f"HTTP {response.status_code} {code}".strip()
        if not isinstance(body, dict):
            return "malformed JSON (not an object)"
        if "error" in body or not response.ok:
            description = body.get("error_description", "")
            raise CrmRequestError(
                f"{self._where(method, page)}: HTTP {response.status_code} "
                f"{code} {description}".rstrip()
            )
        return body

    # -- list methods through batch --------------------------------------------

    def list_pages(
        self,
        method: str,
        params: Mapping[str, Any],
        page_size: int = PAGE_SIZE,
    ) -> Iterator[Page]:
        """Every page of a list method: the first alone (to learn the total), then
        the rest through `batch`, up to 50 pages a call, as Bitrix24 advises."""
        first = self.call(method, {**params, "start": 0}, page=0)
        records = _records(first, method, self._where(method, 0))
        total = int(first.get("total", len(records)))
        timing = first.get("time")
        started_at = timing.get("date_start") if isinstance(timing, dict) else None
        yield Page(0, records, total, started_at)
        starts = list(range(page_size, total, page_size))
        for chunk_at in range(0, len(starts), MAX_BATCH_COMMANDS):
            chunk = starts[chunk_at : chunk_at + MAX_BATCH_COMMANDS]
            yield from self._batch_pages(method, params, chunk, total)

    def _batch_pages(
        self, method: str, params: Mapping[str, Any], starts: Sequence[int], total: int
    ) -> Iterator[Page]:
        commands = {
            f"p{start}": f"{method}?{php_query({**params, 'start': start})}"
            for start in starts
        }
        attempts = 0
        while True:
            body = self.call("batch", {"halt": 1, "cmd": commands}, page=starts[0])
            answer = body.get("result")
            results = answer.get("result") if isinstance(answer, dict) else None
            errors = answer.get("result_error") if isinstance(answer, dict) else None
            missing = [
                n for n in commands if not isinstance(results, dict) or n not in results
            ]
            if not errors and not missing:
                break
            attempts += 1
            first_error = (
                next(iter(errors.items()))
                if isinstance(errors, dict) and errors
                else None
            )
            if attempts > self.max_retries:
                name, error = first_error or (missing[0], "no result")
                raise CrmRequestError(
                    f"{self._where(method, int(name[1:]))} (in batch): {error}"
                )
            time.sleep(self.backoff(attempts))
        for start in starts:
            records = results[f"p{start}"]
            if not isinstance(records, list):
                raise CrmRequestError(
                    f"{self._where(method, start)} (in batch): result is not a list"
                )
            yield Page(start, records, total)


def _records(body: Mapping[str, Any], method: str, where: str) -> list[dict[str, Any]]:
    records = body.get("result")
    if not isinstance(records, list):
        raise CrmRequestError(f"{where}: result is not a list")
    return records


def php_query(params: Mapping[str, Any]) -> str:
    """Parameters as PHP reads a query string: filter[>=DATE_MODIFY]=..&select[]=*"""
    pairs: list[tuple[str, str]] = []

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, Mapping):
            for key, item in value.items():
                walk(f"{prefix}[{key}]", item)
        elif isinstance(value, list | tuple):
            for item in value:
                walk(f"{prefix}[]", item)
        else:
            pairs.append((prefix, "" if value is None else str(value)))

    for key, value in params.items():
        walk(str(key), value)
    return urlencode(pairs)


# -- records ------------------------------------------------------------------


class BadRecord(ValueError):
    """A record that cannot be landed; the message is the reject reason."""


def parse_instant(value: Any) -> datetime | None:
    """A Bitrix24 date-time as an aware datetime; None for empty; BadRecord else."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str):
        raise BadRecord(f"not a date: {value!r}")
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise BadRecord(f"impossible date {value!r}") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=_DEFAULT_TZ)


def landed_row(
    record: Mapping[str, Any], branch: str, contract: Collection[str] | None = None
) -> dict[str, Any]:
    """A Bitrix24 record typed for the warehouse; raises BadRecord with the reason.

    A field outside `contract` (when given) is landed as text: a list or object
    as its JSON, so that its column's type never depends on the first value seen.
    """
    row: dict[str, Any] = {"branch": branch}
    for field, value in record.items():
        if contract is not None and field not in contract:
            row[field.lower()] = _as_text(value)
        else:
            row[field.lower()] = _typed(field, value)
    if row.get("id") is None:
        raise BadRecord("empty ID")
    return row


def _as_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def changed_types(entity: CrmEntity, record: Mapping[str, Any]) -> dict[str, str]:
    """The contract's fields whose kind of value is not what staging reads.

    Bitrix24 gives every field one kind: a multi-field is a list of values, the
    rest are scalars. A field of the other kind has changed type on the portal,
    which no record-by-record reject can make good.
    """
    changed = {}
    for field in entity.fields:
        value = record.get(field)
        if value is None or value == "":
            continue
        if field in JSON_FIELDS and not isinstance(value, list):
            changed[field] = f"a list of values, now {type(value).__name__}"
        elif field not in JSON_FIELDS and isinstance(value, list | dict):
            changed[field] = f"a single value, now {type(value).__name__}"
    return changed


def _typed(field: str, value: Any) -> Any:
    if field in JSON_FIELDS:
        if value in (None, ""):
            return None
        if not isinstance(value, list):
            raise BadRecord(f"{field} is not a list of values: {value!r:.80}")
        return value
    if isinstance(value, list | dict):
        raise BadRecord(f"{field} holds a {type(value).__name__}, expected a scalar")
    empty = value is None or (isinstance(value, str) and not value.strip())
    if field in BIGINT_FIELDS:
        if empty:
            return None
        text = str(value).strip()
        if not text.lstrip("-").isdigit():
            raise BadRecord(f"{field} {value!r} is not a whole number")
        return int(text)
    if field in DECIMAL_FIELDS:
        if empty:
            return None
        try:
            amount = Decimal(str(value).strip())
        except InvalidOperation:
            raise BadRecord(f"{field} {value!r} is not a number") from None
        if not amount.is_finite():
            raise BadRecord(f"{field} {value!r} is not a number")
        return amount
    if field in TIMESTAMP_FIELDS:
        try:
            return parse_instant(value)
        except BadRecord as error:
            raise BadRecord(f"{error} in {field}") from None
    if field in DATE_FIELDS:
        try:
            instant = parse_instant(value)
        except BadRecord as error:
            raise BadRecord(f"{error} in {field}") from None
        # the calendar day as written by the portal, not shifted to UTC
        return (
            None if instant is None else date(instant.year, instant.month, instant.day)
        )
    return value


def record_fingerprint(record: Mapping[str, Any]) -> str:
    """Identifies a record version, to skip re-reading one already landed."""
    return json.dumps(record, sort_keys=True, ensure_ascii=False)


def content_hash(record: Mapping[str, Any]) -> str:
    """A hash of what a record says about the customer, as the portal sent it.

    Left out: DATE_MODIFY, which every write moves, and the CRM sync's own fields
    (UF_CRM_C360_*), which it writes from the warehouse: a record whose hash is
    the landed one's brings nothing new, however its DATE_MODIFY moved.
    """
    content = {
        field: value
        for field, value in record.items()
        if field != "DATE_MODIFY" and not field.upper().startswith(SYNC_FIELD_PREFIX)
    }
    return landed_content.content_hash(content)


__all__ = [
    "BadRecord",
    "Bitrix24Client",
    "CrmAuthError",
    "CrmError",
    "CrmRequestError",
    "Page",
    "changed_types",
    "content_hash",
    "landed_row",
    "parse_instant",
    "php_query",
    "record_fingerprint",
]

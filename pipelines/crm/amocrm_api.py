"""amoCRM's API v4 for one account, as the ingest and the CRM sync both speak it.

What bites, and what this does about it, once for both:
- 7 requests a second per integration, counted in a sliding second, and an
  account that keeps running into the limit (429) is blocked with 403 on every
  request: requests are paced the way amoCRM counts them; a 429 is waited out
  with backoff and jitter (at least the `retry_after` amoCRM names, which its
  HTML 429 does not), and after `max_rate_limited` in a row for one request the
  account is given up on rather than pushed into a block;
- a 403 is that block (or a token without the right): never retried, since every
  request to a blocked account prolongs the block; a 401 is a refused token;
- gateway errors, timeouts, dropped connections and answers cut short are retried
  with exponential backoff and jitter; with `retry=False` they are raised at once
  as AnswerLost, for a caller whose request is not safe to send twice blind (it
  may have been carried out) and must look first.

Callers turn the errors into their own, in their own words.
"""

from __future__ import annotations

import contextlib
import logging
import random
import threading
import time
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC
from email.utils import parsedate_to_datetime
from typing import Any

import requests

from customer360.settings import AmoCrmAccount
from pipelines.common.backoff import jittered_backoff
from pipelines.crm.settings import AMOCRM_REQUESTS_PER_SECOND

log = logging.getLogger(__name__)

# consecutive 429s for one request before the account is left for the next run:
# amoCRM blocks accounts that keep running into the limit, so never push on
MAX_RATE_LIMITED = 6
# the longest a single 429 is waited out, whatever its retry_after says
MAX_RATE_LIMIT_PAUSE = 60.0
_SHORTEST_MASKED_TOKEN = 6


class AmoCrmApiError(Exception):
    """amoCRM did not give the answer asked for."""


class TokenRefused(AmoCrmApiError):
    """401: the token is wrong, expired or revoked; a setting to fix."""


class AccountBlocked(AmoCrmApiError):
    """403: amoCRM has blocked the account's API (as it does after repeated 429s),
    or the token lacks the right; every request would be refused alike."""


class StillRateLimited(AmoCrmApiError):
    """A request met `refused` 429s in a row and was given up on."""

    def __init__(self, refused: int) -> None:
        super().__init__(f"still over amoCRM's request limit (429) after {refused}")
        self.refused = refused


class AnswerLost(AmoCrmApiError):
    """No answer to read: a dropped connection, a timeout, a gateway error, an
    answer cut short or malformed. The request may or may not have been carried
    out."""


class KeptFailing(AmoCrmApiError):
    """A request's answer was lost `failures` times, the retries included."""

    def __init__(self, failures: int, last: AnswerLost) -> None:
        super().__init__(f"failed {failures} times, last: {last}")
        self.failures = failures
        self.last = last


@dataclass(frozen=True)
class Answer:
    status: int
    # a 2xx's JSON object, None for 204 No Content; a 4xx's JSON, or its first
    # 200 characters as {"detail": ...} where it was not JSON
    body: Any
    clock: str | None  # the account's clock (the Date header), ISO 8601


class RequestPacer:
    """`wait()` blocks until one more request fits: at most `per_second` in any
    second, as amoCRM counts them (a sliding window), with a little room for the
    time a request takes to arrive."""

    def __init__(self, per_second: float, window: float = 1.05) -> None:
        if per_second <= 0:
            raise ValueError(f"requests per second must be above 0, got {per_second}")
        self.capacity = max(1, int(per_second))
        self.window = window * self.capacity / per_second
        self._sent: deque[float] = deque()
        self._lock = threading.Lock()

    def wait(self) -> None:
        with self._lock:
            while True:
                now = time.monotonic()
                while self._sent and now - self._sent[0] >= self.window:
                    self._sent.popleft()
                if len(self._sent) < self.capacity:
                    self._sent.append(now)
                    return
                time.sleep(self.window - (now - self._sent[0]))


class AmoCrmApi:
    """Requests to one amoCRM account, sent with its long-lived token.

    One instance per account and process, so that one pacer keeps every request
    to the account within `requests_per_second` (amoCRM allows 7).
    """

    def __init__(
        self,
        account: AmoCrmAccount,
        requests_per_second: float = AMOCRM_REQUESTS_PER_SECOND,
        max_retries: int = 5,
        backoff_seconds: float = 0.5,
        max_backoff_seconds: float = 10.0,
        rate_limit_backoff_seconds: float = 1.0,
        max_rate_limited: int = MAX_RATE_LIMITED,
        timeout: float = 60.0,
        session: requests.Session | None = None,
    ) -> None:
        self.account = account
        self.pacer = RequestPacer(requests_per_second)
        self.max_retries = max_retries
        self.backoff_seconds = backoff_seconds
        self.max_backoff_seconds = max_backoff_seconds
        self.rate_limit_backoff_seconds = rate_limit_backoff_seconds
        self.max_rate_limited = max_rate_limited
        self.timeout = timeout
        self.session = session or requests.Session()
        self.requests_sent = 0
        self.rate_limited = 0

    @property
    def where(self) -> str:
        return f"the {self.account.branch} amoCRM account ({self.account.base_url})"

    @property
    def masked_url(self) -> str:
        """The account's API; the token travels in a header, never in the URL."""
        return f"{self.account.base_url.rstrip('/')}/api/v4/"

    def mask(self, text: str) -> str:
        token = self.account.token
        if token and len(token) >= _SHORTEST_MASKED_TOKEN:
            return text.replace(token, "***")
        return text

    def backoff(self, failures: int) -> float:
        return jittered_backoff(
            failures, self.backoff_seconds, self.max_backoff_seconds
        )

    def request(
        self,
        method: str,
        path: str,
        params: Mapping[str, Any] | Sequence[tuple[str, Any]] | None = None,
        body: Any = None,
        retry: bool = True,
    ) -> Answer:
        """A 2xx answer, or a 4xx other than 401, 403 and 429, for the caller to
        judge. With `retry`, a lost answer is retried `max_retries` times, then
        KeptFailing; without it, AnswerLost at once. Raises TokenRefused,
        AccountBlocked, StillRateLimited; SettingsError without a token."""
        failures = 0
        while True:
            try:
                return self._answer(method, path, params, body)
            except AnswerLost as error:
                if not retry:
                    raise
                failures += 1
                if failures > self.max_retries:
                    raise KeptFailing(failures, error) from error
                delay = self.backoff(failures)
                log.warning(
                    "%s: %s %s%s: %s; retry %d/%d in %.1fs",
                    self.where,
                    method,
                    path,
                    _page(params),
                    error,
                    failures,
                    self.max_retries,
                    delay,
                )
                time.sleep(delay)

    def _answer(self, method: str, path: str, params: Any, body: Any) -> Answer:
        """One answer, with 429s waited out; AnswerLost when there was none."""
        url = self.account.api_url(path)
        headers = {"Authorization": f"Bearer {self.account.token}"}
        refused = 0
        while True:
            self.pacer.wait()
            self.requests_sent += 1
            try:
                response = self.session.request(
                    method,
                    url,
                    params=params,
                    json=body,
                    headers=headers,
                    timeout=self.timeout,
                )
            except (
                requests.ConnectionError,
                requests.Timeout,
                requests.exceptions.ChunkedEncodingError,  # cut off mid-answer
            ) as error:
                lost = self.mask(f"{type(error).__name__}: {error}")
                raise AnswerLost(lost) from error
            status = response.status_code
            if status == 429:
                refused += 1
                self.rate_limited += 1
                if refused > self.max_rate_limited:
                    raise StillRateLimited(refused)
                pause = self._rate_limit_pause(response, refused)
                log.warning(
                    "%s: over the request limit (429); waiting %.1fs", self.where, pause
                )
                time.sleep(pause)
                continue
            if status == 401:
                raise TokenRefused(f"{self.where}: HTTP 401")
            if status == 403:
                raise AccountBlocked(f"{self.where}: HTTP 403")
            if status >= 500:
                raise AnswerLost(f"HTTP {status}")
            return _read(response)

    def _rate_limit_pause(self, response: requests.Response, refused: int) -> float:
        """Backoff with jitter, and at least what amoCRM said (its HTML 429 says
        nothing, its JSON one `retry_after`), up to a minute."""
        said = 0.0
        with contextlib.suppress(ValueError, AttributeError, TypeError):
            said = float(response.json().get("retry_after") or 0)
        ceiling = min(
            self.rate_limit_backoff_seconds * 2 ** (refused - 1),
            self.max_backoff_seconds,
        )
        pause = max(min(said, MAX_RATE_LIMIT_PAUSE), ceiling)
        return pause * random.uniform(1.0, 1.5)


def _read(response: requests.Response) -> Answer:
    status = response.status_code
    clock = _http_date(response.headers.get("Date"))
    if status == 204:
        return Answer(status, None, clock)
    try:
        body = response.json()
    except ValueError as error:
        if response.ok:
            raise AnswerLost(f"HTTP {status}, malformed JSON ({error})") from error
        return Answer(status, {"detail": response.text[:200]}, clock)
    if response.ok and not isinstance(body, dict):
        raise AnswerLost(f"HTTP {status}, malformed JSON (not an object)")
    return Answer(status, body, clock)


def _http_date(value: str | None) -> str | None:
    if not value:
        return None
    try:
        return parsedate_to_datetime(value).astimezone(UTC).isoformat()
    except (TypeError, ValueError):
        return None


def _page(params: Any) -> str:
    page = params.get("page") if isinstance(params, Mapping) else None
    return f", page {page}" if page is not None else ""


__all__ = [
    "AccountBlocked",
    "AmoCrmApi",
    "AmoCrmApiError",
    "Answer",
    "AnswerLost",
    "KeptFailing",
    "RequestPacer",
    "StillRateLimited",
    "TokenRefused",
]

"""Helpers for the Bitrix24 stand-in tests: the token, a fast rate limit, a caller."""

from __future__ import annotations

from typing import Any

import requests

from demo.standins.bitrix24 import RateLimit, StandinHandle

TOKEN = "test-webhook-token"
# generous enough that only the rate-limit test ever meets the limit
FAST = RateLimit(capacity=10_000, drain_per_second=10_000)


class Portal:
    """A thin caller for one stand-in portal, so tests read like API calls."""

    def __init__(self, handle: StandinHandle, branch: str) -> None:
        self.handle = handle
        self.branch = branch
        self.server = handle.portal(branch)
        self.base = handle.urls[branch]
        self.session = requests.Session()

    def url(self, method: str, token: str = TOKEN) -> str:
        return f"{self.base}/rest/1/{token}/{method}.json"

    def get(self, method: str, params: Any = None, **kw: Any) -> requests.Response:
        return self.session.get(self.url(method, **kw), params=params, timeout=10)

    def post(self, method: str, body: Any = None, **kw: Any) -> requests.Response:
        return self.session.post(self.url(method, **kw), json=body, timeout=10)

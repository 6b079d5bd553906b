"""Helpers for the amoCRM stand-in tests: the token, and a caller for one account."""

from __future__ import annotations

from typing import Any

import requests

from demo.standins.amocrm import AmoCrmStandin

TOKEN = "test-long-lived-token"


class Account:
    """A thin caller for a running stand-in, so tests read like API calls."""

    def __init__(self, handle: AmoCrmStandin, token: str = TOKEN) -> None:
        self.handle = handle
        self.base = handle.url
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token}"

    def get(self, path: str, params: Any = None) -> requests.Response:
        return self.session.get(f"{self.base}{path}", params=params, timeout=10)

    def patch(self, path: str, body: Any) -> requests.Response:
        return self.session.patch(f"{self.base}{path}", json=body, timeout=10)

    def post(self, path: str, body: Any) -> requests.Response:
        return self.session.post(f"{self.base}{path}", json=body, timeout=10)

    def contact(self, contact_id: int) -> dict[str, Any]:
        return self.get(f"/api/v4/contacts/{contact_id}").json()

    def values(self, contact_id: int, code: str) -> list[dict[str, Any]] | None:
        """The values of a contact's field by code, None when it has none."""
        for item in self.contact(contact_id)["custom_fields_values"] or []:
            if item["field_code"] == code:
                return item["values"]
        return None

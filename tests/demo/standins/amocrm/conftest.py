"""Fixtures for the amoCRM stand-in tests: running accounts on ephemeral ports."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from amocrm_testkit import TOKEN, Account

from demo.standins.amocrm import AmoCrmStandin, RateLimit, start_amocrm_standin
from demo.standins.amocrm.samples import seed_document


@pytest.fixture
def start(tmp_path: Path) -> Iterator[Callable[..., AmoCrmStandin]]:
    """Start a stand-in in this test's folder; no rate limit unless asked for."""
    handles: list[AmoCrmStandin] = []

    def _start(**kwargs: Any) -> AmoCrmStandin:
        kwargs.setdefault("rate_limit", RateLimit.unlimited())
        kwargs.setdefault("token", TOKEN)
        handle = start_amocrm_standin(tmp_path / "amocrm", **kwargs)
        handles.append(handle)
        return handle

    yield _start
    for handle in handles:
        handle.stop()


@pytest.fixture
def account(start: Callable[..., AmoCrmStandin]) -> Account:
    """An account with 120 contacts and 10 companies."""
    return Account(start(seed_from=seed_document(contacts=120, companies=10)))

"""Fixtures: `c360_on` points the `c360` commands at a warehouse; the company itself is
the shared `built_company` (tests/conftest.py)."""

# the helpers live in identity_dbt_testkit.py so that test modules import them by a
# unique name: several folders have a conftest, and `from conftest import` would
# pick whichever was imported first
from identity_dbt_testkit import c360_on  # noqa: F401

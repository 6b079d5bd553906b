"""Fixtures: a generated company landed by the real pipelines and built by dbt."""

# the helpers live in identity_dbt_testkit.py so that test modules import them by a
# unique name: several folders have a conftest, and `from conftest import` would
# pick whichever was imported first
from identity_dbt_testkit import c360_on, identity_warehouse  # noqa: F401

"""Fixtures for identity resolution: hand-made records and a small generated company."""

# the helpers live in identity_records.py so that test modules import them by a
# unique name: several folders have a conftest, and `from conftest import` would
# pick whichever was imported first
from identity_records import small_company  # noqa: F401

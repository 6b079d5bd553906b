"""Expectation suites as code: what the landed data and the marts must hold.

One suite per guarded asset (`SUITES`), each expectation with its severity:
a failed critical one stops the run before the CRM sync and the BI publish, a
failed warning is reported and the run goes on (docs/data_quality.md).
"""

"""Dagster definitions: the one asset graph for the demo, the schedule and the tests."""

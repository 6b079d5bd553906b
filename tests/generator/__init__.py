"""Tests of the demo source-data generator."""

"""The `c360` command line: land, run, inspect and review, over the product's layers.

It sits on the top floor, so it imports the pipelines, the orchestration and the
identity engine openly; nothing below imports it.
"""

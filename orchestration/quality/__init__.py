"""The quality domain: the expectation suites as checks on the assets they guard."""

"""Demo and test equipment: the generated company and the stand-ins for SaaS systems.

Nothing in the product (customer360, pipelines, orchestration, the c360 command line)
imports this package; `pyproject.toml`'s import contracts check it.
"""

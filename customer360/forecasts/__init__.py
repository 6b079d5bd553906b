"""Customer metrics engines: lifetime value (BG/NBD + Gamma-Gamma) and churn risk.

Pure Python on pandas/numpy/scipy, so that dbt Python models (customer_ltv,
customer_churn) can call them on tables read from the warehouse.
"""

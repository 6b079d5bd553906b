"""Transactions simulated from known BG/NBD and Gamma-Gamma parameters.

For tests and benchmarks: the models must recover the parameters that made the data,
and their back-test on such data must be close. Each customer makes a first purchase
on a day drawn uniformly from the acquisition period, then, while alive, repeat
purchases with exponential gaps (rate lambda ~ Gamma(r, alpha), per day) and drops
out after each repeat purchase with probability p ~ Beta(a, b). Each purchase amount is
Gamma(p_spend, nu) with nu ~ Gamma(q, v) per customer (the first purchase too).
Purchase times are cut to whole days; two purchases on one day become one purchase
day, which is rare at the rates used here (a few purchases a month at most).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from customer360.forecasts.ltv import BGNBDParams, GammaGammaParams


def simulate_transactions(
    rng: np.random.Generator,
    customers: int,
    bgnbd: BGNBDParams,
    gamma_gamma: GammaGammaParams,
    first_day: dt.date,
    acquisition_days: int,
    last_day: dt.date,
) -> pd.DataFrame:
    """customer_id, purchased_on, net_amount for `customers` simulated customers."""
    horizon = (last_day - first_day).days
    if not 0 < acquisition_days <= horizon:
        raise ValueError("acquisition_days must be > 0 and within the simulated span")
    rates = rng.gamma(bgnbd.r, 1.0 / bgnbd.alpha, customers)
    dropout = rng.beta(bgnbd.a, bgnbd.b, customers)
    spend_rates = rng.gamma(gamma_gamma.q, 1.0 / gamma_gamma.v, customers)
    first_offsets = rng.integers(0, acquisition_days, customers)
    ids: list[int] = []
    offsets: list[int] = []
    for customer in range(customers):
        start = int(first_offsets[customer])
        days_left = horizon - start
        times = [0.0]
        t = 0.0
        while True:
            t += rng.exponential(1.0 / rates[customer])
            if t > days_left:
                break
            times.append(t)
            if rng.random() < dropout[customer]:
                break
        ids.extend([customer] * len(times))
        offsets.extend(start + int(time) for time in times)
    customer_ids = np.asarray(ids)
    amounts = rng.gamma(gamma_gamma.p, 1.0 / spend_rates[customer_ids])
    return pd.DataFrame(
        {
            "customer_id": [f"C{i:06d}" for i in customer_ids],
            "purchased_on": pd.Timestamp(first_day)
            + pd.to_timedelta(np.asarray(offsets), unit="D"),
            "net_amount": np.round(amounts, 2),
        }
    )

"""Customer lifetime value: BG/NBD for how often a customer buys, Gamma-Gamma for spend.

The model, per customer, in days since the customer's first purchase:
  - BG/NBD (Fader, Hardie & Lee 2005, "Counting your customers the easy way: an
    alternative to the Pareto/NBD model", Marketing Science 24(2)): while alive, a
    customer makes repeat purchases as a Poisson process with rate lambda; lambda
    varies across customers as Gamma(r, alpha). After each repeat purchase the
    customer drops out for good with probability p; p varies as Beta(a, b). The
    per-customer data are x = repeat purchase days (frequency), t_x = days from the
    first to the last purchase (recency) and T = days from the first purchase to the
    observation end.
  - Gamma-Gamma (Fader & Hardie 2013, "The Gamma-Gamma model of monetary value"; first
    in Fader, Hardie & Lee 2005, "RFM and CLV: using iso-value curves", JMR 42(4)):
    the amount of each repeat purchase is Gamma(p, nu), nu varies as Gamma(q, v). It
    assumes that spend per purchase does not depend on how often a customer buys:
    `GammaGammaParams.frequency_monetary_correlation` reports that correlation on the
    fitted data (close to 0 is what the model needs).
Both are fitted by maximum likelihood (scipy.optimize, on log-parameters so that all
four/three stay positive) on the summary that `summarise` builds from transactions
(see `customer360.forecasts.transactions` for what a purchase day is).

The predicted 12-month value is expected purchase days in the next 365 days times the
expected average spend per purchase, in the currency of `net_amount` (revenue, not
margin). It is NOT discounted by default; `predicted_value(..., annual_discount_rate=d)`
discounts the purchases expected in each of 12 equal steps to the observation end at
the end of the step. Customers acquired after the observation end are outside the
model: it values the existing base only.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from scipy import optimize, special

from customer360.forecasts.transactions import as_date, purchase_days

SUMMARY_COLUMNS = ("customer_id", "frequency", "recency", "T", "monetary_value")
DAYS_PER_YEAR = 365


# -- the per-customer summary ----------------------------------------------------------


def summarise(
    transactions: pd.DataFrame, observation_end: dt.date | str
) -> pd.DataFrame:
    """Per-customer frequency/recency/T/monetary value as of `observation_end`.

    frequency: purchase days after the first one (repeat purchases);
    recency: days from the first to the last purchase day (0 without repeats);
    T: days from the first purchase day to `observation_end`;
    monetary_value: mean amount of the repeat purchase days (0 without repeats; the
    first purchase is left out, as Gamma-Gamma models repeat spend).
    Purchases after `observation_end` are ignored, and so are customers whose first
    purchase is after it.
    """
    end = as_date(observation_end, "observation_end")
    days = purchase_days(transactions)
    days = days.loc[days["purchased_on"] <= end]
    if days.empty:
        raise ValueError(f"no purchase on or before the observation end {end.date()}")
    per_customer = days.groupby("customer_id", sort=True).agg(
        first_purchase_on=("purchased_on", "min"),
        last_purchase_on=("purchased_on", "max"),
        purchase_days=("amount", "size"),
        total_amount=("amount", "sum"),
        first_amount=("amount", "first"),  # days are sorted by date within customer
    )
    frequency = per_customer["purchase_days"] - 1
    repeat_amount = per_customer["total_amount"] - per_customer["first_amount"]
    summary = pd.DataFrame(
        {
            "customer_id": per_customer.index,
            "frequency": frequency.to_numpy(dtype=np.int64),
            "recency": (
                per_customer["last_purchase_on"] - per_customer["first_purchase_on"]
            ).dt.days.to_numpy(dtype=np.int64),
            "T": (end - per_customer["first_purchase_on"]).dt.days.to_numpy(
                dtype=np.int64
            ),
            "monetary_value": np.where(
                frequency > 0, repeat_amount / frequency.clip(lower=1), 0.0
            ),
            "first_purchase_on": per_customer["first_purchase_on"].dt.date.to_numpy(),
        }
    )
    return summary.reset_index(drop=True)


def _rfm_arrays(summary: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    missing = [c for c in ("frequency", "recency", "T") if c not in summary.columns]
    if missing:
        raise ValueError(
            f"the summary lacks column(s) {missing}; build it with summarise"
        )
    if summary.empty:
        raise ValueError("the summary has no customers")
    x = summary["frequency"].to_numpy(dtype=float)
    t_x = summary["recency"].to_numpy(dtype=float)
    T = summary["T"].to_numpy(dtype=float)
    if not np.all(np.isfinite(x) & np.isfinite(t_x) & np.isfinite(T)):
        raise ValueError("frequency, recency and T must be finite numbers")
    if np.any(x < 0) or np.any(x != np.round(x)):
        raise ValueError("frequency must be a whole number of repeat purchases >= 0")
    if np.any(t_x < 0) or np.any(t_x > T):
        raise ValueError("recency must lie between 0 and T for every customer")
    if np.any((x == 0) & (t_x != 0)):
        raise ValueError("a customer without repeat purchases must have recency 0")
    return x, t_x, T


# -- BG/NBD ----------------------------------------------------------------------------


@dataclass(frozen=True)
class BGNBDParams:
    """Fitted BG/NBD: purchase rate ~ Gamma(r, alpha) per day, dropout ~ Beta(a, b)."""

    r: float
    alpha: float
    a: float
    b: float
    # set by fit_bgnbd; parameters written by hand (for a simulation) leave them out
    log_likelihood: float = float("nan")
    customers: int = 0

    def as_dict(self) -> dict[str, float | int]:
        return asdict(self)


def bgnbd_log_likelihood(
    r: float,
    alpha: float,
    a: float,
    b: float,
    frequency: np.ndarray,
    recency: np.ndarray,
    T: np.ndarray,
) -> np.ndarray:
    """Per-customer BG/NBD log-likelihood (Fader, Hardie & Lee 2005, eq. 6).

    L = B(a, b+x)/B(a, b) * G(r+x) alpha^r / (G(r) (alpha+T)^(r+x))
        + [x > 0] B(a+1, b+x-1)/B(a, b) * G(r+x) alpha^r / (G(r) (alpha+t_x)^(r+x))
    computed in logs: the common factor G(r+x) alpha^r / G(r) * B(a, b+x)/B(a, b)
    comes out, B(a+1, b+x-1)/B(a, b+x) = a/(b+x-1), and the two terms are added
    with logaddexp so that neither underflows for frequent buyers.
    """
    x = np.asarray(frequency, dtype=float)
    t_x = np.asarray(recency, dtype=float)
    T = np.asarray(T, dtype=float)
    common = (
        special.gammaln(r + x)
        - special.gammaln(r)
        + r * np.log(alpha)
        + special.betaln(a, b + x)
        - special.betaln(a, b)
    )
    alive_term = -(r + x) * np.log(alpha + T)
    has_repeats = x > 0
    dropped_term = np.full_like(x, -np.inf)
    dropped_term[has_repeats] = (
        np.log(a)
        - np.log(b + x[has_repeats] - 1)
        - (r + x[has_repeats]) * np.log(alpha + t_x[has_repeats])
    )
    return common + np.logaddexp(alive_term, dropped_term)


def _maximise(
    negative_log_likelihood,
    start: np.ndarray,
    what: str,
    capped: tuple[int, ...] = (),
) -> optimize.OptimizeResult:
    """Minimise over log-parameters: L-BFGS-B, then Nelder-Mead from its end point.

    Nelder-Mead polishes the few cases where L-BFGS-B's finite-difference gradient
    stops early on a flat ridge (a and b of BG/NBD often lie on one).
    """
    bounds = [(-20.0, 20.0)] * len(start)
    for index in capped:
        # the likelihood is flat beyond the cap: keep both optimisers inside it
        bounds[index] = (-20.0, np.log(min(MAX_DROPOUT_CONCENTRATION, MAX_RATE_SHAPE)))
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        first = optimize.minimize(
            negative_log_likelihood, start, method="L-BFGS-B", bounds=bounds
        )
        result = optimize.minimize(
            negative_log_likelihood,
            first.x,
            method="Nelder-Mead",
            bounds=bounds,
            options={"xatol": 1e-7, "fatol": 1e-10, "maxiter": 4000},
        )
    if not result.success and first.success:
        # Nelder-Mead ran out of iterations on a flat ridge: keep the better of its
        # end point and L-BFGS-B's optimum (both are checked against the bounds below)
        if result.fun <= first.fun and np.all(np.isfinite(result.x)):
            result = optimize.OptimizeResult(
                x=result.x, fun=result.fun, success=True, message=result.message
            )
        else:
            result = first
    if not (result.success and np.all(np.isfinite(result.x))):
        raise RuntimeError(f"the {what} fit did not converge: {result.message}")
    # a parameter in `capped` is clipped inside the likelihood: at its cap it means
    # "as large as it gets", not a failed fit
    free = np.ones(len(result.x), dtype=bool)
    free[list(capped)] = False
    if np.any(np.abs(result.x[free]) > 19.0):
        raise RuntimeError(
            f"the {what} fit ran to a parameter bound ({np.exp(result.x)}): the data "
            "do not identify the model (too few customers or repeat purchases)"
        )
    return result


# The dropout probability p ~ Beta(a, b) is fitted as its mean a/(a+b) and its
# concentration a+b. When every customer drops out at about the same rate, the
# likelihood keeps rising as a+b grows with a/(a+b) fixed (a and b run off together
# along a ridge): the concentration is capped at 1,000, where Beta(a, b) is a point
# mass for practical purposes (a spread of about 3% of its mean), and the fit is
# accepted there. A higher cap breaks the 2F1 of the predictions (at 1e6 they
# came out as zero on the demo data).
MAX_DROPOUT_CONCENTRATION = 1e3


# Likewise the purchase rate lambda ~ Gamma(r, alpha) is fitted as its mean r/alpha and
# its shape r: customers who all buy at about the same rate send r and alpha off
# together, and the shape is capped at 1,000 (a spread of about 3% of the mean).
MAX_RATE_SHAPE = 1e3


def _bgnbd_natural(params: np.ndarray) -> tuple[float, float, float, float]:
    """(log mean rate, log rate shape, logit mean dropout, log dropout concentration)
    -> (r, alpha, a, b)."""
    log_mean_rate, log_shape, logit_mean, log_concentration = params
    r = np.exp(min(log_shape, np.log(MAX_RATE_SHAPE)))
    concentration = np.exp(min(log_concentration, np.log(MAX_DROPOUT_CONCENTRATION)))
    mean = special.expit(logit_mean)
    return (
        float(r),
        float(r / np.exp(log_mean_rate)),
        float(mean * concentration),
        float((1.0 - mean) * concentration),
    )


def fit_bgnbd(summary: pd.DataFrame) -> BGNBDParams:
    """Maximum-likelihood BG/NBD on a summary from `summarise`.

    Raises ValueError without repeat buyers: with x = 0 for everyone the data say
    only "no purchase in T days", which a low purchase rate and a high dropout explain
    equally well, so the parameters are not identified.
    """
    x, t_x, T = _rfm_arrays(summary)
    if not np.any(x > 0):
        raise ValueError(
            "no customer has a repeat purchase: BG/NBD cannot tell a low purchase "
            "rate from early dropout without repeat buyers; use a longer history"
        )
    # customers with the same (x, t_x, T) share one likelihood term
    cells, weights = np.unique(np.column_stack([x, t_x, T]), axis=0, return_counts=True)
    cx, ct_x, cT = cells.T
    customers = int(weights.sum())

    def negative_log_likelihood(params: np.ndarray) -> float:
        r, alpha, a, b = _bgnbd_natural(params)
        ll = bgnbd_log_likelihood(r, alpha, a, b, cx, ct_x, cT)
        value = -float(np.dot(weights, ll)) / customers
        return value if np.isfinite(value) else 1e300

    # start at a rate near the observed repeat rate and a middling dropout
    rate = max(x.sum() / max(T.sum(), 1.0), 1e-6)
    start = np.array([np.log(rate), 0.0, special.logit(0.25), np.log(4.0)])
    # the mean dropout may also run to 0 (nobody seen to drop out yet: pure NBD)
    result = _maximise(negative_log_likelihood, start, "BG/NBD", capped=(1, 2, 3))
    r, alpha, a, b = _bgnbd_natural(result.x)
    return BGNBDParams(
        r=float(r),
        alpha=float(alpha),
        a=float(a),
        b=float(b),
        log_likelihood=-float(result.fun) * customers,
        customers=customers,
    )


def _log_alive_odds_against(params: BGNBDParams, x, t_x, T) -> np.ndarray:
    """log of a/(b+x-1) * ((alpha+T)/(alpha+t_x))^(r+x); -inf without repeats."""
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    out = np.full_like(x, -np.inf)
    rep = x > 0
    out[rep] = (
        np.log(a)
        - np.log(b + x[rep] - 1)
        + (r + x[rep]) * (np.log(alpha + T[rep]) - np.log(alpha + t_x[rep]))
    )
    return out


def probability_alive(summary: pd.DataFrame, params: BGNBDParams) -> np.ndarray:
    """P(still a customer at the observation end | x, t_x, T).

    Fader, Hardie & Lee (2008), "Computing P(alive) using the BG/NBD model" (note):
    P = 1 / (1 + [x > 0] a/(b+x-1) ((alpha+T)/(alpha+t_x))^(r+x)); a customer
    without repeat purchases is alive with probability 1 under BG/NBD (dropout
    happens only right after a repeat purchase).
    """
    x, t_x, T = _rfm_arrays(summary)
    return special.expit(-_log_alive_odds_against(params, x, t_x, T))


def expected_purchases(
    summary: pd.DataFrame, params: BGNBDParams, days: float
) -> np.ndarray:
    """Expected purchase days in the next `days` days per customer (FHL 2005, eq. 10).

    E[Y(t) | x, t_x, T] = (a+b+x-1)/(a-1)
        * [1 - ((alpha+T)/(alpha+T+t))^(r+x) 2F1(r+x, b+x; a+b+x-1; t/(alpha+T+t))]
        / (1 + [x > 0] a/(b+x-1) ((alpha+T)/(alpha+t_x))^(r+x))
    The ratio (a+b+x-1)/(a-1) and 2F1 are analytic for a != 1 (the formula holds by
    analytic continuation for a < 1, the usual case on real data).
    """
    if not days >= 0:
        raise ValueError(f"days must be >= 0, got {days}")
    x, t_x, T = _rfm_arrays(summary)
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    if abs(a - 1.0) < 1e-9:
        raise ValueError("expected_purchases is undefined at a = 1 exactly")
    horizon = alpha + T + days
    z = days / horizon
    decay = np.exp((r + x) * (np.log(alpha + T) - np.log(horizon)))
    bracket = 1.0 - decay * special.hyp2f1(r + x, b + x, a + b + x - 1.0, z)
    alive = special.expit(-_log_alive_odds_against(params, x, t_x, T))
    return (a + b + x - 1.0) / (a - 1.0) * bracket * alive


# -- Gamma-Gamma -----------------------------------------------------------------------


@dataclass(frozen=True)
class GammaGammaParams:
    """Fitted Gamma-Gamma: spend per purchase ~ Gamma(p, nu), nu ~ Gamma(q, v)."""

    p: float
    q: float
    v: float
    # set by fit_gamma_gamma; parameters written by hand leave them out
    log_likelihood: float = float("nan")
    customers: int = 0  # repeat buyers the fit used
    excluded_non_positive: int = 0  # repeat buyers left out for a mean spend <= 0
    frequency_monetary_correlation: float = float("nan")  # the model assumes ~0

    @property
    def population_mean_spend(self) -> float:
        """E[spend per purchase] for a customer we know nothing of: p v / (q - 1)."""
        if self.q <= 1:
            return float("inf")
        return self.p * self.v / (self.q - 1)

    def as_dict(self) -> dict[str, float | int]:
        return {**asdict(self), "population_mean_spend": self.population_mean_spend}


def gamma_gamma_log_likelihood(
    p: float, q: float, v: float, frequency: np.ndarray, monetary_value: np.ndarray
) -> np.ndarray:
    """Per-customer log-density of the mean spend m of x purchases (Fader & Hardie).

    f(m | x) = G(px+q) / (G(px) G(q)) * v^q (m x)^(px-1) x / (v + m x)^(px+q)
    (z_bar = m is the mean of x Gamma(p, nu) amounts, so x m ~ Gamma(px, nu), then nu
    is integrated out against Gamma(q, v); the trailing x is the Jacobian of m = sum/x).
    """
    x = np.asarray(frequency, dtype=float)
    m = np.asarray(monetary_value, dtype=float)
    return (
        special.gammaln(p * x + q)
        - special.gammaln(p * x)
        - special.gammaln(q)
        + q * np.log(v)
        + (p * x - 1) * np.log(m * x)
        + np.log(x)
        - (p * x + q) * np.log(v + m * x)
    )


def fit_gamma_gamma(summary: pd.DataFrame) -> GammaGammaParams:
    """Maximum-likelihood Gamma-Gamma on the repeat buyers of a summary.

    Customers without repeat purchases carry no spend information and are skipped;
    repeat buyers whose mean repeat spend is <= 0 (refunds larger than purchases) are
    outside the model's support and are excluded, counted in `excluded_non_positive`.
    """
    missing = [c for c in ("frequency", "monetary_value") if c not in summary.columns]
    if missing:
        raise ValueError(
            f"the summary lacks column(s) {missing}; build it with summarise"
        )
    x = summary["frequency"].to_numpy(dtype=float)
    m = summary["monetary_value"].to_numpy(dtype=float)
    repeat = x > 0
    if not np.any(repeat):
        raise ValueError(
            "no customer has a repeat purchase: Gamma-Gamma models the spend of "
            "repeat purchases and has nothing to fit"
        )
    if not np.all(np.isfinite(m[repeat])):
        raise ValueError("monetary_value must be a finite number for repeat buyers")
    usable = repeat & (m > 0)
    excluded = int(np.sum(repeat & ~usable))
    if np.sum(usable) < 2:
        raise ValueError(
            f"Gamma-Gamma needs at least 2 repeat buyers with a positive mean spend; "
            f"found {int(np.sum(usable))} ({excluded} excluded for spend <= 0)"
        )
    ux, um = x[usable], m[usable]
    customers = int(usable.sum())
    # the spend scale is the data's currency: work in units of the mean spend so that
    # the optimiser starts near the answer whatever the currency
    scale = float(np.mean(um))

    def negative_log_likelihood(log_params: np.ndarray) -> float:
        p, q, v = np.exp(log_params)
        ll = gamma_gamma_log_likelihood(p, q, v, ux, um / scale)
        value = -float(np.sum(ll)) / customers
        return value if np.isfinite(value) else 1e300

    result = _maximise(negative_log_likelihood, np.log([1.0, 2.0, 1.0]), "Gamma-Gamma")
    p, q, v_scaled = np.exp(result.x)
    v = v_scaled * scale
    # the density of m is per unit of money: rescaling m by 1/scale adds log(scale)
    log_likelihood = -float(result.fun) * customers - customers * np.log(scale)
    correlation = (
        float(np.corrcoef(ux, um)[0, 1])
        if np.std(ux) > 0 and np.std(um) > 0
        else float("nan")
    )
    return GammaGammaParams(
        p=float(p),
        q=float(q),
        v=float(v),
        log_likelihood=float(log_likelihood),
        customers=customers,
        excluded_non_positive=excluded,
        frequency_monetary_correlation=correlation,
    )


def expected_average_spend(
    summary: pd.DataFrame, params: GammaGammaParams
) -> np.ndarray:
    """E[spend per future purchase | x, m] (Fader & Hardie 2013).

    E = p (v + x m) / (p x + q - 1): a weighted mean of the population mean p v/(q-1)
    and the customer's own mean m, weighted by x. Customers without repeat purchases
    (or excluded for a spend <= 0) get the population mean. Needs q > 1.
    """
    if params.q <= 1:
        raise ValueError(
            f"q = {params.q:.3f} <= 1: the Gamma-Gamma mean spend is infinite"
        )
    x = summary["frequency"].to_numpy(dtype=float)
    m = summary["monetary_value"].to_numpy(dtype=float)
    p, q, v = params.p, params.q, params.v
    own = (x > 0) & (m > 0)
    spend = np.full_like(x, params.population_mean_spend)
    spend[own] = p * (v + x[own] * m[own]) / (p * x[own] + q - 1)
    return spend


# -- value -----------------------------------------------------------------------------


def predicted_value(
    summary: pd.DataFrame,
    bgnbd: BGNBDParams,
    gamma_gamma: GammaGammaParams,
    horizon_days: int = DAYS_PER_YEAR,
    annual_discount_rate: float = 0.0,
) -> np.ndarray:
    """Expected spend in the next `horizon_days`: purchases times spend per purchase.

    Undiscounted by default. With `annual_discount_rate` d > 0, the horizon is cut in
    12 equal steps and the purchases expected in step k are discounted by
    (1 + d) ** -(end of step k in years).
    """
    if not annual_discount_rate >= 0:
        raise ValueError("annual_discount_rate must be >= 0")
    spend = expected_average_spend(summary, gamma_gamma)
    if annual_discount_rate == 0:
        return expected_purchases(summary, bgnbd, horizon_days) * spend
    ends = np.linspace(0.0, horizon_days, 13)
    cumulative = np.column_stack([expected_purchases(summary, bgnbd, t) for t in ends])
    per_step = np.diff(cumulative, axis=1)
    discount = (1.0 + annual_discount_rate) ** (-ends[1:] / DAYS_PER_YEAR)
    return per_step @ discount * spend


def score_customers(
    summary: pd.DataFrame,
    bgnbd: BGNBDParams,
    gamma_gamma: GammaGammaParams,
    horizon_days: int = DAYS_PER_YEAR,
) -> pd.DataFrame:
    """The per-customer LTV table: P(alive), purchases, spend and value over horizon."""
    purchases = expected_purchases(summary, bgnbd, horizon_days)
    spend = expected_average_spend(summary, gamma_gamma)
    return pd.DataFrame(
        {
            "customer_id": summary["customer_id"].to_numpy(),
            "probability_alive": probability_alive(summary, bgnbd),
            "expected_purchases": purchases,
            "expected_average_spend": spend,
            "predicted_value": purchases * spend,
        }
    )


# -- back-test -------------------------------------------------------------------------


@dataclass(frozen=True)
class BacktestReport:
    """LTV predictions for a hold-out period against what the customers then did."""

    cutoff: dt.date
    holdout_end: dt.date
    customers: int
    mae_purchases: float  # mean absolute error per customer, purchase days
    predicted_purchases: float
    actual_purchases: float
    mae_value: float  # mean absolute error per customer, currency
    predicted_value: float
    actual_value: float
    bgnbd: BGNBDParams
    gamma_gamma: GammaGammaParams
    per_customer: pd.DataFrame

    @property
    def holdout_days(self) -> int:
        return (self.holdout_end - self.cutoff).days

    @property
    def purchases_error_pct(self) -> float:
        """Total predicted vs actual purchase days in the hold-out, % of actual."""
        return _pct_error(self.predicted_purchases, self.actual_purchases)

    @property
    def value_error_pct(self) -> float:
        """Total predicted vs actual spend in the hold-out, % of actual."""
        return _pct_error(self.predicted_value, self.actual_value)

    def as_table(self) -> pd.DataFrame:
        """The error figures, one row per measure (purchases, value)."""
        return pd.DataFrame(
            {
                "measure": ["purchases", "value"],
                "mae_per_customer": [self.mae_purchases, self.mae_value],
                "predicted_total": [self.predicted_purchases, self.predicted_value],
                "actual_total": [self.actual_purchases, self.actual_value],
                "total_error_pct": [self.purchases_error_pct, self.value_error_pct],
            }
        )


def _pct_error(predicted: float, actual: float) -> float:
    return 100.0 * (predicted - actual) / actual if actual else float("nan")


def backtest(
    transactions: pd.DataFrame, cutoff: dt.date | str, holdout_end: dt.date | str
) -> BacktestReport:
    """Fit on purchases up to `cutoff`, predict (cutoff, holdout_end], compare.

    Only customers who had bought by the cut-off are scored: the model does not
    predict the purchases of customers it has not met yet.
    """
    start = as_date(cutoff, "cutoff")
    end = as_date(holdout_end, "holdout_end")
    if end <= start:
        raise ValueError("holdout_end must be after cutoff")
    summary = summarise(transactions, start)
    bgnbd = fit_bgnbd(summary)
    gamma_gamma = fit_gamma_gamma(summary)
    horizon = (end - start).days
    days = purchase_days(transactions)
    holdout = days.loc[(days["purchased_on"] > start) & (days["purchased_on"] <= end)]
    actual = holdout.groupby("customer_id").agg(
        actual_purchases=("amount", "size"), actual_value=("amount", "sum")
    )
    scores = score_customers(summary, bgnbd, gamma_gamma, horizon)
    per_customer = scores.join(actual, on="customer_id").fillna(
        {"actual_purchases": 0, "actual_value": 0.0}
    )
    return BacktestReport(
        cutoff=start.date(),
        holdout_end=end.date(),
        customers=len(per_customer),
        mae_purchases=float(
            np.mean(
                np.abs(
                    per_customer["expected_purchases"]
                    - per_customer["actual_purchases"]
                )
            )
        ),
        predicted_purchases=float(per_customer["expected_purchases"].sum()),
        actual_purchases=float(per_customer["actual_purchases"].sum()),
        mae_value=float(
            np.mean(
                np.abs(per_customer["predicted_value"] - per_customer["actual_value"])
            )
        ),
        predicted_value=float(per_customer["predicted_value"].sum()),
        actual_value=float(per_customer["actual_value"].sum()),
        bgnbd=bgnbd,
        gamma_gamma=gamma_gamma,
        per_customer=per_customer,
    )


# -- kept fits (customer360.forecasts.fit_store) ---------------------------------------

# Below this many repeat buyers the four BG/NBD parameters are poorly identified
# (the engine's own floor is 1 for BG/NBD and 2 for Gamma-Gamma); provisional, not
# measured: the demo companies (400+ customers) have well over a hundred.
MIN_REPEAT_BUYERS = 20


def fit_parameters(summary: pd.DataFrame) -> tuple[dict | None, str | None]:
    """(parameters, None) of BG/NBD + Gamma-Gamma fitted on a summary, as kept with
    a fit, or (None, why) when the fit cannot run or fails its checks.

    The checks: enough repeat buyers, both fits converge, and the fitted parameters
    score every customer of the summary with finite, non-negative figures (a = 1 or
    q <= 1 cannot).
    """
    repeat_buyers = int((summary["frequency"] > 0).sum())
    if repeat_buyers < MIN_REPEAT_BUYERS:
        return None, (
            f"{repeat_buyers} repeat buyers, fewer than the {MIN_REPEAT_BUYERS} "
            "the fit needs"
        )
    try:
        bgnbd = fit_bgnbd(summary)
        gamma_gamma = fit_gamma_gamma(summary)
        scores = score_customers(summary, bgnbd, gamma_gamma)
    except (ValueError, RuntimeError) as error:  # the engine's "cannot fit" errors
        return None, f"fit failed: {error}"
    figures = scores.drop(columns="customer_id").to_numpy(dtype=float)
    if not np.all(np.isfinite(figures)) or np.any(figures < 0):
        return None, "the fitted parameters score some customers with no usable value"
    return {"bgnbd": asdict(bgnbd), "gamma_gamma": asdict(gamma_gamma)}, None


def parameters_from(parameters: dict) -> tuple[BGNBDParams, GammaGammaParams]:
    """The engine's parameters from a kept fit's `fit_parameters`."""
    return (
        BGNBDParams(**parameters["bgnbd"]),
        GammaGammaParams(**parameters["gamma_gamma"]),
    )


def describe_parameters(parameters: dict) -> str:
    """A kept fit's parameters in one line, for a reader of the scores."""
    bgnbd, gamma_gamma = parameters_from(parameters)
    return (
        f"BG/NBD r={bgnbd.r:.4g} alpha={bgnbd.alpha:.4g} a={bgnbd.a:.4g} "
        f"b={bgnbd.b:.4g} on {bgnbd.customers} customers; Gamma-Gamma p="
        f"{gamma_gamma.p:.4g} q={gamma_gamma.q:.4g} v={gamma_gamma.v:.4g} on "
        f"{gamma_gamma.customers} repeat buyers, frequency-spend correlation "
        f"{gamma_gamma.frequency_monetary_correlation:.3f}"
    )

"""Bad-input cases: crmkit.roi's customer-base models (fits, predictions, intervals, checks).

The data are a small simulated base (80 customers, weekly periods) given as a mapping of
columns, so each variant can make one column bad; the fits the predictions need are made
once (fits are deterministic) and shared.
"""

from __future__ import annotations

import functools
import warnings
from typing import Any

from crmkit import datasets, roi
from crmkit.errors import CrmkitWarning
from crmkit.roi import (
    CalendarPeriods,
    CovariateEffects,
    CovariateEncoding,
    MarginRate,
    calibration_holdout,
    customer_pnl,
)
from crmkit.segmentation import btyd_summary
from tests.badinput.core import Case, ColumnKind, Kind, Opt

_START, _END = "2023-01-01", "2024-01-01"
_RFM: dict[str, ColumnKind] = {"frequency": "number", "recency": "number", "T": "number"}
_SPEND: dict[str, ColumnKind] = {**_RFM, "monetary_value": "amount"}
_WITH_ID: dict[str, ColumnKind] = {"customer": "id", **_RFM}
_TX: dict[str, ColumnKind] = {"customer": "id", "timestamp": "date", "amount": "amount"}


@functools.cache
def _base() -> datasets.SimulatedCustomerBase:
    return datasets.simulate_customer_base(80, _START, _END, seed=5, refund_rate=0.0)


@functools.cache
def _summary_columns() -> dict[str, tuple[Any, ...]]:
    s = btyd_summary(_base().transactions, freq="week", as_of=_END)
    return {
        "customer": tuple(s.customer.tolist()),
        "frequency": tuple(s.frequency.tolist()),
        "recency": tuple(s.recency.tolist()),
        "T": tuple(s.T.tolist()),
        "monetary_value": tuple(s.monetary_value.tolist()),
    }


def _rfm(*names: str) -> dict[str, list[Any]]:
    cols = _summary_columns()
    return {name: list(cols[name]) for name in names}


def _buyers(*names: str) -> dict[str, list[Any]]:
    """The customers with a repeat purchase (what Gamma-Gamma is fitted on)."""
    cols = _summary_columns()
    keep = [i for i, x in enumerate(cols["frequency"]) if x > 0]
    return {name: [cols[name][i] for i in keep] for name in names}


def _channels() -> dict[str, list[Any]]:
    ids = list(_summary_columns()["customer"])
    return {
        "customer": ids,
        "channel": ["web" if i % 3 else "store" for i in range(len(ids))],
        "age": [float(20 + (i * 7) % 40) for i in range(len(ids))],
    }


def _transactions() -> dict[str, list[Any]]:
    tx = _base().transactions
    return {
        "customer": tx.customer.tolist(),
        "timestamp": [str(t) for t in tx.timestamp],
        "amount": tx.amount.tolist(),
    }


def _quietly(fit: Any) -> Any:
    """Call *fit* with crmkit's own warnings silenced: the shared fits are inputs, not cases."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CrmkitWarning)
        return fit()


@functools.cache
def _bgnbd() -> roi.BGNBDFit:
    return _quietly(lambda: roi.fit_bgnbd(_rfm("frequency", "recency", "T")))


@functools.cache
def _pareto() -> roi.ParetoNBDFit:
    return _quietly(lambda: roi.fit_pareto_nbd(_rfm("frequency", "recency", "T")))


@functools.cache
def _spend() -> roi.GammaGammaFit:
    # (spend and frequency correlate in this small base: the fit warns, which is not the case)
    return _quietly(
        lambda: roi.fit_gamma_gamma(_buyers("frequency", "recency", "T", "monetary_value"))
    )


@functools.cache
def _covariate_bgnbd() -> roi.BGNBDFit:
    return _quietly(
        lambda: roi.fit_bgnbd(
            _rfm("customer", "frequency", "recency", "T"),
            covariates=_channels(),
            purchase_covariates=["channel"],
        )
    )


@functools.cache
def _split() -> roi.CalibrationHoldout:
    return calibration_holdout(
        _base().transactions, freq="week", calibration_end="2023-09-01", observation_end=_END
    )


def _churn() -> roi.ShiftedBetaGeometricFit:
    return roi.shifted_beta_geometric_from_params(alpha=0.704, beta=1.182)


# documented NaN: standard errors, covariances and the condition where the information matrix
# is singular (a one-customer fit); for given parameters also the log-likelihood and gradient
_FIT_NAN = frozenset({"hessian_condition", "standard_errors", "covariance", "working_covariance"})
_GIVEN_NAN = _FIT_NAN | {"log_likelihood", "gradient_norm"}
_PURCHASE: dict[str, Kind | Opt] = {"fit": "value"}
_INTERVAL: dict[str, Kind | Opt] = {"level": "probability", "seed": "seed", "n_draws": "count"}
_CLV: dict[str, Kind | Opt] = {"periods": "count", "discount_rate": "positive"}
_SBG_SURVIVORS = [1000.0, 631.0, 468.0, 382.0, 326.0, 289.0, 262.0, 241.0]  # FH 2007, regular
_TENURE = {"tenure": [1.0, 3.0, 2.0, 5.0, 5.0, 1.0, 4.0, 5.0], "churned": [True] * 5 + [False] * 3}


def _purchase_call(**extra: object) -> Any:
    return lambda: {"fit": _bgnbd(), "data": _rfm("frequency", "recency", "T"), **extra}


CASES = [
    # ---------------------------------------------------------------- fits
    Case(
        "roi.fit_bgnbd",
        roi.fit_bgnbd,
        lambda: {"data": _rfm("frequency", "recency", "T")},
        tables={"data": _RFM},
        nonfinite=_FIT_NAN,
    ),
    Case(
        "roi.fit_bgnbd",
        roi.fit_bgnbd,
        lambda: _rfm("frequency", "recency", "T"),
        columns=_RFM,
        nonfinite=_FIT_NAN,
    ),
    Case(
        "roi.fit_bgnbd",
        roi.fit_bgnbd,
        lambda: {
            "data": _rfm("customer", "frequency", "recency", "T"),
            "covariates": _channels(),
            "purchase_covariates": ["channel", "age"],
        },
        params={"purchase_covariates": "names", "dropout_covariates": Opt("names")},
        tables={
            "data": _WITH_ID,
            "covariates": {"customer": "id", "channel": "label", "age": "number"},
        },
        # an id missing from one table is named as the customer the other lacks; one customer
        # leaves a covariate a single level or value, refused as the covariates' fault
        fields={
            "data": ("customer", "covariates", "purchase_covariates"),
            "covariates": ("customer",),
        },
        nonfinite=_FIT_NAN,
    ),
    Case(
        "roi.fit_mbgnbd",
        roi.fit_mbgnbd,
        lambda: {"data": _rfm("frequency", "recency", "T")},
        tables={"data": _RFM},
        nonfinite=_FIT_NAN,
    ),
    Case(
        "roi.fit_pareto_nbd",
        roi.fit_pareto_nbd,
        lambda: {"data": _rfm("frequency", "recency", "T")},
        tables={"data": _RFM},
        nonfinite=_FIT_NAN,
    ),
    Case(
        "roi.fit_pareto_nbd",
        roi.fit_pareto_nbd,
        lambda: {
            "data": _rfm("customer", "frequency", "recency", "T"),
            "covariates": _channels(),
            "purchase_covariates": ["age"],
        },
        params={"purchase_covariates": "names", "dropout_covariates": Opt("names")},
        tables={"data": _WITH_ID, "covariates": {"customer": "id", "age": "number"}},
        fields={
            "data": ("customer", "covariates", "purchase_covariates"),
            "covariates": ("customer",),
        },
        nonfinite=_FIT_NAN,
    ),
    Case(
        "roi.fit_bgbb",
        roi.fit_bgbb,
        lambda: {
            "frequency": [0, 1, 2, 3, 1, 0, 4],
            "recency": [0, 2, 5, 6, 1, 0, 6],
            "T": [6] * 7,
        },
        columns=_RFM,
        nonfinite=_FIT_NAN,
    ),
    Case(
        "roi.fit_bgbb",
        roi.fit_bgbb,
        lambda: {
            "frequency": [0, 1, 2, 3, 6],
            "recency": [0, 3, 5, 6, 6],
            "T": [6, 6, 6, 6, 6],
            "weights": [400.0, 120.0, 80.0, 60.0, 40.0],
        },
        columns={**_RFM, "weights": "amount"},
        nonfinite=_FIT_NAN,
    ),
    Case(
        "roi.fit_gamma_gamma",
        roi.fit_gamma_gamma,
        lambda: {"data": _buyers("frequency", "recency", "T", "monetary_value")},
        tables={"data": _SPEND},
        fields={"data": ("frequency",)},  # one repeat customer cannot identify the model
        nonfinite=_FIT_NAN,
    ),
    Case(
        "roi.fit_gamma_gamma",
        roi.fit_gamma_gamma,
        lambda: {
            "data": _buyers("customer", "frequency", "recency", "T", "monetary_value"),
            "covariates": _channels(),
            "spend_covariates": ["channel"],
        },
        params={"spend_covariates": "names"},
        tables={"data": {"customer": "id", **_SPEND}},
        fields={"data": ("customer", "covariates", "spend_covariates", "frequency")},
        nonfinite=_FIT_NAN,
    ),
    Case(
        "roi.fit_shifted_beta_geometric",
        roi.fit_shifted_beta_geometric,
        lambda: {"survivors": list(_SBG_SURVIVORS)},
        columns={"survivors": "number"},
        nonfinite=_FIT_NAN,
    ),
    Case(
        "roi.fit_shifted_beta_geometric",
        roi.fit_shifted_beta_geometric,
        lambda: {k: list(v) for k, v in _TENURE.items()},
        columns={"tenure": "number", "churned": "flag"},
        # two columns of different lengths: either may be the odd one
        fields={"tenure": ("churned",), "churned": ("tenure",)},
        nonfinite=_FIT_NAN,
    ),
    Case(
        "roi.fit_beta_discrete_weibull",
        roi.fit_beta_discrete_weibull,
        lambda: {"survivors": list(_SBG_SURVIVORS)},
        columns={"survivors": "number"},
        nonfinite=_FIT_NAN,
    ),
    Case(
        "roi.fit_beta_discrete_weibull",
        roi.fit_beta_discrete_weibull,
        lambda: {k: list(v) for k, v in _TENURE.items()},
        columns={"tenure": "number", "churned": "flag"},
        # two columns of different lengths: either may be the odd one
        fields={"tenure": ("churned",), "churned": ("tenure",)},
        nonfinite=_FIT_NAN,
    ),
    # ---------------------------------------------------------------- given parameters
    Case(
        "roi.bgnbd_from_params",
        roi.bgnbd_from_params,
        lambda: {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426},
        params={"r": "positive", "alpha": "positive", "a": "positive", "b": "positive"},
        nonfinite=_GIVEN_NAN,
    ),
    Case(
        "roi.bgnbd_from_params",
        roi.bgnbd_from_params,
        lambda: {
            "r": 0.243,
            "alpha": 4.414,
            "a": 0.793,
            "b": 2.426,
            "covariates": _covariate_bgnbd().covariates,
        },
        params={"covariates": Opt("value")},
        nonfinite=_GIVEN_NAN,
    ),
    Case(
        "roi.mbgnbd_from_params",
        roi.mbgnbd_from_params,
        lambda: {"r": 0.525, "alpha": 6.183, "a": 0.891, "b": 1.614},
        params={"r": "positive", "alpha": "positive", "a": "positive", "b": "positive"},
        nonfinite=_GIVEN_NAN,
    ),
    Case(
        "roi.pareto_nbd_from_params",
        roi.pareto_nbd_from_params,
        lambda: {"r": 0.55, "alpha": 10.58, "s": 0.61, "beta": 11.67},
        params={"r": "positive", "alpha": "positive", "s": "positive", "beta": "positive"},
        nonfinite=_GIVEN_NAN,
    ),
    Case(
        "roi.bgbb_from_params",
        roi.bgbb_from_params,
        lambda: {"alpha": 1.204, "beta": 0.750, "gamma": 0.657, "delta": 2.783},
        params={"alpha": "positive", "beta": "positive", "gamma": "positive", "delta": "positive"},
        nonfinite=_GIVEN_NAN,
    ),
    Case(
        "roi.gamma_gamma_from_params",
        roi.gamma_gamma_from_params,
        lambda: {"p": 6.25, "q": 3.74, "gamma": 15.44},
        params={"p": "positive", "q": "positive", "gamma": "positive"},
        nonfinite=_GIVEN_NAN,
    ),
    Case(
        "roi.shifted_beta_geometric_from_params",
        roi.shifted_beta_geometric_from_params,
        lambda: {"alpha": 0.704, "beta": 1.182},
        params={"alpha": "positive", "beta": "positive"},
        nonfinite=_GIVEN_NAN,
    ),
    Case(
        "roi.beta_discrete_weibull_from_params",
        roi.beta_discrete_weibull_from_params,
        lambda: {"alpha": 0.704, "beta": 1.182, "c": 1.2},
        params={"alpha": "positive", "beta": "positive", "c": "positive"},
        nonfinite=_GIVEN_NAN,
    ),
    Case(
        "roi.CovariateEncoding",
        CovariateEncoding,
        lambda: {
            "sources": ("channel",),
            "columns": ("channel[web]",),
            "reference": {"channel": "store"},
        },
        params={"sources": "names", "columns": "names", "reference": "value"},
        # a reference that does not cover the categorical columns is refused as the columns
        fields={"reference": ("columns",)},
    ),
    Case(
        "roi.CovariateEffects",
        CovariateEffects,
        lambda: {
            "encodings": {
                "purchase": CovariateEncoding(
                    sources=("channel",), columns=("channel[web]",), reference={"channel": "store"}
                )
            },
            "coefficients": {"purchase": {"channel[web]": 0.4}},
            "standard_errors": {"purchase": {"channel[web]": 0.1}},
        },
        # (standard_errors may be empty: effects known without them; tests/roi check the rest)
        params={"encodings": "value", "coefficients": "value"},
        # coefficients are checked against the encodings they belong to: bad encodings are
        # also refused as coefficients that do not match them
        fields={"encodings": ("coefficients",)},
    ),
    # ---------------------------------------------------------------- predictions
    Case(
        "roi.probability_alive",
        roi.probability_alive,
        _purchase_call(),
        params=_PURCHASE,
        tables={"data": _RFM},
    ),
    Case(
        "roi.probability_alive",
        roi.probability_alive,
        lambda: {"fit": _pareto(), **_rfm("frequency", "recency", "T")},
        columns=_RFM,
    ),
    Case(
        "roi.probability_alive",
        roi.probability_alive,
        lambda: {
            "fit": _covariate_bgnbd(),
            "data": _rfm("customer", "frequency", "recency", "T"),
            "covariates": _channels(),
        },
        tables={"data": _WITH_ID, "covariates": {"customer": "id", "channel": "label"}},
        fields={"data": ("customer",), "covariates": ("customer",)},
    ),
    Case(
        "roi.probability_alive_ahead",
        roi.probability_alive_ahead,
        _purchase_call(t=12.0),
        params={**_PURCHASE, "t": "positive"},
        tables={"data": _RFM},
    ),
    Case(
        "roi.expected_purchases",
        roi.expected_purchases,
        _purchase_call(t=26.0),
        params={**_PURCHASE, "t": "positive"},
        tables={"data": _RFM},
    ),
    Case(
        "roi.expected_purchases",
        roi.expected_purchases,
        lambda: {"fit": _pareto(), "t": 26.0, **_rfm("frequency", "recency", "T")},
        params={"t": "positive"},
        columns=_RFM,
    ),
    Case(
        "roi.dert",
        roi.dert,
        _purchase_call(discount_rate=0.003),
        params={**_PURCHASE, "discount_rate": "positive"},
        tables={"data": _RFM},
    ),
    Case(
        "roi.expected_purchases_new_customer",
        roi.expected_purchases_new_customer,
        lambda: {"fit": _bgnbd(), "t": [13.0, 26.0, 52.0]},
        params=_PURCHASE,
        columns={"t": "number"},
        empty="result",  # element-wise in t
    ),
    Case(
        "roi.purchase_count_pmf",
        roi.purchase_count_pmf,
        lambda: {"fit": _bgnbd(), "t": 39.0, "n_max": 20},
        params={**_PURCHASE, "t": "positive", "n_max": "count"},
    ),
    Case(
        "roi.tracking_curve",
        roi.tracking_curve,
        lambda: {"fit": _bgnbd(), "data": _rfm("frequency", "recency", "T"), "t": [4.0, 8.0]},
        params=_PURCHASE,
        tables={"data": _RFM},
    ),
    Case(
        "roi.tracking_curve",
        roi.tracking_curve,
        lambda: {"fit": _pareto(), "data": _rfm("frequency", "recency", "T"), "t": [-4.0, 8.0]},
        columns={"t": "number"},
        empty="result",  # no times, no curve
    ),
    Case(
        "roi.expected_spend",
        roi.expected_spend,
        lambda: {"fit": _spend(), "data": _rfm("frequency", "recency", "T", "monetary_value")},
        params=_PURCHASE,
        tables={"data": _SPEND},
    ),
    Case(
        "roi.customer_clv",
        roi.customer_clv,
        lambda: {
            "purchases": _bgnbd(),
            "spend": _spend(),
            "data": _rfm("frequency", "recency", "T", "monetary_value"),
            "periods": 12,
            "discount_rate": 0.01,
            "period_length": 4.345,
        },
        params={"purchases": "value", "spend": "value", **_CLV, "period_length": "positive"},
        tables={"data": _SPEND},
    ),
    Case(
        "roi.customer_clv",
        roi.customer_clv,
        lambda: {
            "purchases": _pareto(),
            "spend": _spend(),
            "periods": 4,
            "discount_rate": 0.03,
            "calendar": CalendarPeriods(as_of=_END, freq="quarter", time_unit="week"),
            **_rfm("frequency", "recency", "T", "monetary_value"),
        },
        params={"calendar": "value"},
        columns=_SPEND,
        fields={"calendar": ("period_length",)},  # exactly one of the two is needed
        nonfinite=frozenset({"period_length"}),  # NaN for calendar periods (documented)
    ),
    Case(
        "roi.profit_clv",
        roi.profit_clv,
        lambda: {
            "purchases": _bgnbd(),
            "data": _rfm("frequency", "recency", "T"),
            "periods": 12,
            "discount_rate": 0.01,
            "period_length": 4.345,
            "profit_per_purchase": [float(10 + i % 7) for i in range(80)],
        },
        params={"purchases": "value", **_CLV, "period_length": "positive"},
        tables={"data": _RFM},
        columns={"profit_per_purchase": "number"},
        fields={"data": ("profit_per_purchase",)},  # one customer, 80 profits: the odd column
    ),
    Case(
        "roi.profit_clv",
        roi.profit_clv,
        lambda: {
            "purchases": _bgnbd(),
            "data": _rfm("customer", "frequency", "recency", "T"),
            "periods": 6,
            "discount_rate": 0.01,
            "calendar": CalendarPeriods(as_of=_END, freq="month", time_unit="week"),
            "pnl": customer_pnl(_base().transactions, margin=MarginRate(rate=0.3)),
        },
        params={"pnl": "value", "calendar": "value"},
        tables={"data": _WITH_ID},
        fields={"calendar": ("period_length",), "data": ("customer",)},
        nonfinite=frozenset({"period_length"}),
    ),
    Case(
        "roi.CalendarPeriods",
        CalendarPeriods,
        lambda: {"as_of": "2024-07-01", "freq": "month", "time_unit": "day"},
        params={"as_of": "date", "freq": "choice", "time_unit": "choice"},
    ),
    # ---------------------------------------------------------------- intervals
    Case(
        "roi.expected_purchases_interval",
        roi.expected_purchases_interval,
        _purchase_call(t=26.0, level=0.9, seed=3, n_draws=32),
        params={**_PURCHASE, "t": "positive", **_INTERVAL},
        tables={"data": _RFM},
    ),
    Case(
        "roi.clv_interval",
        roi.clv_interval,
        lambda: {
            "purchases": _bgnbd(),
            "spend": _spend(),
            "data": _rfm("frequency", "recency", "T", "monetary_value"),
            "periods": 6,
            "discount_rate": 0.01,
            "period_length": 4.345,
            "level": 0.8,
            "seed": 4,
            "n_draws": 32,
        },
        params={"purchases": "value", "spend": "value", **_CLV, **_INTERVAL},
        tables={"data": _SPEND},
    ),
    # ---------------------------------------------------------------- views and checks
    Case(
        "roi.alive_matrix",
        roi.alive_matrix,
        lambda: {"fit": _bgnbd(), "data": _rfm("frequency", "recency", "T"), "max_frequency": 10},
        params={**_PURCHASE, "T": Opt("positive"), "max_frequency": Opt("count")},
        tables={"data": _RFM},
        nonfinite=frozenset({"matrix"}),  # NaN in the impossible cells (x = 0, t_x > 0)
    ),
    Case(
        "roi.expected_purchases_matrix",
        roi.expected_purchases_matrix,
        lambda: {"fit": _pareto(), "data": _rfm("frequency", "recency", "T"), "t": 10.0},
        params={**_PURCHASE, "t": "positive", "T": Opt("positive"), "max_frequency": Opt("count")},
        tables={"data": _RFM},
        nonfinite=frozenset({"matrix"}),
    ),
    Case(
        "roi.repeat_purchase_histogram",
        roi.repeat_purchase_histogram,
        lambda: {"fit": _bgnbd(), "data": _rfm("frequency", "recency", "T"), "max_frequency": 5},
        params={**_PURCHASE, "max_frequency": "count"},
        tables={"data": _RFM},
    ),
    Case(
        "roi.purchase_tracking",
        roi.purchase_tracking,
        lambda: {
            "fit": _bgnbd(),
            "transactions": _transactions(),
            "freq": "week",
            "as_of": _END,
            "calibration_end": "2023-09-01",
        },
        params={
            **_PURCHASE,
            "freq": "choice",
            "as_of": Opt("date"),
            "calibration_end": Opt("date"),
            "date_format": Opt("choice"),
            "customer": "frame_column",
            "timestamp": "frame_column",
            "amount": "frame_column",
        },
        tables={"transactions": _TX},
    ),
    Case(
        "roi.calibration_holdout",
        calibration_holdout,
        lambda: {
            "transactions": _transactions(),
            "freq": "week",
            "calibration_end": "2023-09-01",
            "observation_end": _END,
        },
        params={
            "freq": "choice",
            "calibration_end": "date",
            "observation_end": "date",
            "date_format": Opt("choice"),
            "customer": "frame_column",
            "timestamp": "frame_column",
            "amount": "frame_column",
        },
        tables={"transactions": _TX},
    ),
    Case(
        "roi.holdout_comparison",
        roi.holdout_comparison,
        lambda: {"fit": _bgnbd(), "data": _split(), "max_frequency": 5},
        params={**_PURCHASE, "data": "value", "max_frequency": "count"},
        # NaN, documented: the correlation when either side is constant, a group's means
        # when it has no customers
        nonfinite=frozenset({"correlation", "predicted", "actual"}),
    ),
    Case(
        "roi.holdout_comparison",
        roi.holdout_comparison,
        lambda: {
            "fit": _bgnbd(),
            "data": _rfm("frequency", "recency", "T"),
            "holdout_purchases": [i % 3 for i in range(80)],
            "holdout_length": 13.0,
        },
        params={"holdout_length": "positive"},
        tables={"data": _RFM},
        columns={"holdout_purchases": "number"},
        fields={"data": ("holdout_purchases",)},  # one customer, 80 holdout counts
        nonfinite=frozenset({"correlation", "predicted", "actual"}),
    ),
    Case(
        "roi.compare_models",
        roi.compare_models,
        lambda: {"split": _split(), "models": ["bgnbd", "pareto_nbd"], "max_frequency": 5},
        params={"split": "value", "models": "names", "max_frequency": "count"},
        # documented NaN: the holdout tables' empty groups and correlations, and what the
        # fits cannot compute on a singular information matrix
        nonfinite=_FIT_NAN | {"predicted", "actual", "correlation", "holdout_correlation"},
    ),
    Case(
        "roi.likelihood_ratio_test",
        roi.likelihood_ratio_test,
        lambda: {
            "restricted": _quietly(lambda: roi.fit_shifted_beta_geometric(_SBG_SURVIVORS)),
            "full": _quietly(lambda: roi.fit_beta_discrete_weibull(_SBG_SURVIVORS)),
        },
        params={"restricted": "value", "full": "value"},
    ),
    Case(
        "roi.spend_independence",
        roi.spend_independence,
        lambda: {"data": _buyers("frequency", "recency", "T", "monetary_value")},
        tables={"data": _SPEND},
        # NaN, documented, for fewer than 3 repeat customers or a constant column
        nonfinite=frozenset({"correlation", "p_value"}),
    ),
    # ---------------------------------------------------------------- contractual churn
    Case(
        "roi.retention_curve",
        roi.retention_curve,
        lambda: {"fit": _churn(), "periods": 12},
        params={"fit": "value", "periods": "count"},
        nonfinite=frozenset({"retention_rate"}),  # NaN at period 0 (documented)
    ),
    Case(
        "roi.derl",
        roi.derl,
        lambda: {"fit": _churn(), "discount_rate": 0.1, "renewals": [0, 1, 4]},
        params={"fit": "value", "discount_rate": "positive"},
        columns={"renewals": "number"},
        empty="result",  # element-wise in the renewals
    ),
    Case(
        "roi.retention_elasticity",
        roi.retention_elasticity,
        lambda: {"fit": _churn(), "discount_rate": 0.1, "renewals": [0, 1, 4]},
        params={"fit": "value", "discount_rate": "positive"},
        columns={"renewals": "number"},
        empty="result",  # element-wise in the renewals
    ),
]

EXEMPT: dict[str, str] = {
    "roi.RFMData": "a typing Protocol (what the models read), never called",
    "roi.SpendData": "a typing Protocol (what the spend model reads), never called",
    "roi.FitDiagnostics": "a part of every fit's result, built by the fits (cases above)",
    "roi.SpendIndependence": "the result of spend_independence, not built by callers",
}

"""Fits with static covariates: BG/NBD and Pareto/NBD (purchase, dropout) and Gamma-Gamma (spend).

Each starts from the fit without covariates (coefficients 0), so its
log-likelihood is never below that fit's and the likelihood-ratio statistic
of the nested pair is >= 0. The design is standardised while optimising; the
coefficients, their covariance and the base parameters are mapped back to the
caller's covariates exactly (a linear map on the working scale).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np
import numpy.typing as npt

from crmkit.errors import InputError
from crmkit.roi._models import _bg_family as bg
from crmkit.roi._models._bgnbd import BGNBDFit
from crmkit.roi._models._bgnbd import _objective as _bg_objective
from crmkit.roi._models._btyd_data import BTYDData, dot
from crmkit.roi._models._covariates import (
    CovariateEffects,
    Design,
    Standardised,
    read_processes,
    standardise,
    unstandardise,
)
from crmkit.roi._models._fit import FitDiagnostics, Optimum, maximise, prefit
from crmkit.roi._models._gamma_gamma import GammaGammaFit, _independence, _repeaters
from crmkit.roi._models._pareto_kernel import log_likelihood_terms, term_with_gradient

if TYPE_CHECKING:
    from crmkit.roi._models._pareto import ParetoNBDFit

__all__ = ["fit_bgnbd_covariates", "fit_gamma_gamma_covariates", "fit_pareto_covariates"]

FloatArray = npt.NDArray[np.float64]
Objective = Callable[[FloatArray], tuple[float, FloatArray]]


@attrs.frozen(kw_only=True)
class _Block:
    process: str
    design: Design
    std: Standardised
    bases: tuple[int, ...]
    sign: float


def _blocks(
    designs: dict[str, Design], spec: Sequence[tuple[str, tuple[int, ...], float]], function: str
) -> list[_Block]:
    out = []
    for process, bases, sign in spec:
        if process in designs:
            d = designs[process]
            std = standardise(d.matrix, f"{process}_covariates", function, d.encoding.columns)
            out.append(_Block(process=process, design=d, std=std, bases=bases, sign=sign))
    return out


def _finish(
    optimum: Optimum,
    base_names: Sequence[str],
    blocks: Sequence[_Block],
    n_base: int,
) -> tuple[FloatArray, CovariateEffects, FitDiagnostics]:
    """Map the optimum to raw covariates; return natural parameters, effects and diagnostics."""
    diag = optimum.diagnostics
    spans = []
    first = n_base
    for block in blocks:
        spans.append((block.bases, first, block.std, block.sign))
        first += block.std.mean.size
    raw, raw_cov = unstandardise(optimum.working, diag.working_covariance, blocks=spans)
    is_log = np.r_[np.ones(n_base, dtype=bool), np.zeros(raw.size - n_base, dtype=bool)]
    natural = np.where(is_log, np.exp(np.where(is_log, raw, 0.0)), raw)
    jac = np.where(is_log, natural, 1.0)
    cov = raw_cov * jac[:, None] * jac[None, :]
    errors = np.sqrt(np.diag(cov)) if diag.hessian_positive_definite else np.full(raw.size, np.nan)
    names = list(base_names)
    coefficients: dict[str, dict[str, float]] = {}
    ses: dict[str, dict[str, float]] = {}
    start = n_base
    for block in blocks:
        cols = block.design.encoding.columns
        width = len(cols)
        coefficients[block.process] = dict(
            zip(cols, natural[start : start + width].tolist(), strict=True)
        )
        ses[block.process] = dict(zip(cols, errors[start : start + width].tolist(), strict=True))
        names.extend(f"{block.process}:{c}" for c in cols)
        start += width
    for arr in (cov, raw_cov):
        arr.flags.writeable = False
    diagnostics = attrs.evolve(
        diag,
        parameter_names=tuple(names),
        standard_errors=dict(zip(names, errors.tolist(), strict=True)),
        covariance=cov,
        working_covariance=raw_cov,
    )
    effects = CovariateEffects(
        encodings={b.process: b.design.encoding for b in blocks},
        coefficients=coefficients,
        standard_errors=ses,
    )
    return natural, effects, diagnostics


def _shifts(u: FloatArray, blocks: Sequence[_Block], n_base: int) -> dict[str, FloatArray]:
    """Return the standardised linear predictor of each process at working vector *u*."""
    out = {}
    start = n_base
    for block in blocks:
        width = block.std.mean.size
        out[block.process] = block.std.matrix @ u[start : start + width]
        start += width
    return out


def _coef_grad(
    blocks: Sequence[_Block], per_process: dict[str, FloatArray], w: FloatArray
) -> list[FloatArray]:
    return [(w * per_process[b.process]) @ b.std.matrix for b in blocks]


def fit_bgnbd_covariates(
    rfm: BTYDData, covariates: object, *, purchase: object, dropout: object, function: str
) -> BGNBDFit:
    """BG/NBD with alpha_i = alpha exp(-g'z) and a_i, b_i = (a, b) exp(d'z) (CLVTools)."""
    designs = read_processes(
        covariates, {"purchase": purchase, "dropout": dropout}, rfm.customer, function=function
    )
    blocks = _blocks(designs, [("purchase", (1,), -1.0), ("dropout", (2, 3), 1.0)], function)
    mean_t = float(np.mean(rfm.T)) or 1.0
    start = prefit(_bg_objective(rfm)[0], [1.0, max(mean_t, 1e-3), 1.0, 1.0])
    x, t_x, T = rfm.frequency, rfm.recency, rfm.T
    w = np.full(rfm.n, 1.0 / rfm.n)

    def objective(u: FloatArray) -> tuple[float, FloatArray]:
        r, alpha, a, b = np.exp(u[:4])
        shift = _shifts(u, blocks, 4)
        alpha_i = alpha * np.exp(-shift.get("purchase", 0.0))
        drop = np.exp(shift.get("dropout", 0.0))
        a_i, b_i = a * drop, b * drop
        ll, (d_r, d_al, d_a, d_b) = bg.loglik_rows(
            (r, alpha_i, a_i, b_i), x, t_x, T, modified=False
        )
        g_alpha = d_al * alpha_i
        g_drop = d_a * a_i + d_b * b_i
        grad: list[Any] = [dot(w, d_r) * r, dot(w, g_alpha), dot(w, d_a * a_i), dot(w, d_b * b_i)]
        grad += _coef_grad(blocks, {"purchase": -g_alpha, "dropout": g_drop}, w)
        return -dot(w, ll), -np.concatenate([np.atleast_1d(g) for g in grad])

    optimum = _optimise(
        objective,
        start,
        base_names=("r", "alpha", "a", "b"),
        blocks=blocks,
        n=rfm.n,
        model="BG/NBD with covariates",
    )
    natural, effects, diagnostics = _finish(optimum, ("r", "alpha", "a", "b"), blocks, 4)
    r, alpha, a, b = natural[:4].tolist()
    return BGNBDFit(
        r=r,
        alpha=alpha,
        a=a,
        b=b,
        log_likelihood=optimum.log_likelihood,
        n_customers=rfm.n,
        n_distinct_rows=rfm.n,
        diagnostics=diagnostics,
        covariates=effects,
    )


def _optimise(
    objective: Objective,
    start: Sequence[float],
    *,
    base_names: Sequence[str],
    blocks: Sequence[_Block],
    n: int,
    model: str,
) -> Optimum:
    """Maximise from the optimum without covariates (coefficients 0)."""
    width = sum(b.std.mean.size for b in blocks)
    names = [*base_names] + [f"{b.process}:{c}" for b in blocks for c in b.design.encoding.columns]
    log_scale = [True] * len(start) + [False] * width
    return maximise(
        objective,
        [*start, *([0.0] * width)],
        names=names,
        model=model,
        n_customers=n,
        log_scale=log_scale,
        stacklevel=4,
    )


def fit_pareto_covariates(
    rfm: BTYDData, covariates: object, *, purchase: object, dropout: object, function: str
) -> ParetoNBDFit:
    """Pareto/NBD with alpha_i = alpha exp(-g'z) and beta_i = beta exp(-d'z) (CLVTools)."""
    from scipy import special  # noqa: PLC0415

    from crmkit.roi._models._pareto import ParetoNBDFit as Fit  # noqa: PLC0415
    from crmkit.roi._models._pareto import _objective  # noqa: PLC0415

    designs = read_processes(
        covariates, {"purchase": purchase, "dropout": dropout}, rfm.customer, function=function
    )
    blocks = _blocks(designs, [("purchase", (1,), -1.0), ("dropout", (3,), -1.0)], function)
    mean_t = float(np.mean(rfm.T)) or 1.0
    start = prefit(_objective(rfm)[0], [1.0, max(mean_t, 1e-3), 1.0, max(mean_t, 1e-3)])
    x, t_x, T = rfm.frequency, rfm.recency, rfm.T
    w = np.full(rfm.n, 1.0 / rfm.n)

    def objective(u: FloatArray) -> tuple[float, FloatArray]:
        r, alpha, s, beta = (float(v) for v in np.exp(u[:4]))
        shift = _shifts(u, blocks, 4)
        alpha_i = alpha * np.exp(-shift.get("purchase", 0.0))
        beta_i = beta * np.exp(-shift.get("dropout", 0.0))
        u1, g1 = term_with_gradient((r, alpha_i, s, beta_i), x, t_x)
        u2, g2 = term_with_gradient((r, alpha_i, s, beta_i), x, T)
        log_bracket, gb = log_likelihood_terms((r, alpha_i, s, beta_i), x, T, (u1, g1), (u2, g2))
        ll = (
            special.gammaln(r + x)
            - special.gammaln(r)
            + r * np.log(alpha_i)
            + s * np.log(beta_i)
            + log_bracket
        )
        d_r = special.digamma(r + x) - special.digamma(r) + np.log(alpha_i) + gb[0]
        g_alpha = (r / alpha_i + gb[1]) * alpha_i
        d_s = np.log(beta_i) + gb[2]
        g_beta = (s / beta_i + gb[3]) * beta_i
        grad: list[Any] = [dot(w, d_r) * r, dot(w, g_alpha), dot(w, d_s) * s, dot(w, g_beta)]
        grad += _coef_grad(blocks, {"purchase": -g_alpha, "dropout": -g_beta}, w)
        return -dot(w, ll), -np.concatenate([np.atleast_1d(g) for g in grad])

    optimum = _optimise(
        objective,
        start,
        base_names=("r", "alpha", "s", "beta"),
        blocks=blocks,
        n=rfm.n,
        model="Pareto/NBD with covariates",
    )
    natural, effects, diagnostics = _finish(optimum, ("r", "alpha", "s", "beta"), blocks, 4)
    r, alpha, s, beta = natural[:4].tolist()
    return Fit(
        r=r,
        alpha=alpha,
        s=s,
        beta=beta,
        log_likelihood=optimum.log_likelihood,
        n_customers=rfm.n,
        n_distinct_rows=rfm.n,
        diagnostics=diagnostics,
        covariates=effects,
    )


def fit_gamma_gamma_covariates(
    rfm: BTYDData, covariates: object, *, spend: object, function: str
) -> GammaGammaFit:
    """Gamma-Gamma with the scale gamma_i = gamma exp(d'z): mean spend times exp(d'z)."""
    from scipy import special  # noqa: PLC0415

    from crmkit.roi._models._gamma_gamma import _objective  # noqa: PLC0415

    keep = rfm.frequency > 0
    ids = rfm.customer[keep] if rfm.customer is not None else None
    designs = read_processes(covariates, {"spend": spend}, ids, function=function)
    blocks = _blocks(designs, [("spend", (2,), 1.0)], function)
    x, m = _repeaters(rfm)
    if x.size < 2:
        raise InputError(
            f"The Gamma-Gamma fit needs at least 2 customers with repeat purchases "
            f"(frequency > 0); got {x.size}.",
            field="frequency",
            hint="Fit the spend model on a base with repeat buyers.",
        )
    start = prefit(_objective(x, m)[0], [1.0, 1.0, max(float(np.mean(m)), 1e-3)])
    log_m, log_x = np.log(m), np.log(x)
    w = np.full(x.size, 1.0 / x.size)

    def objective(u: FloatArray) -> tuple[float, FloatArray]:
        p, q, gamma = (float(v) for v in np.exp(u[:3]))
        shift = _shifts(u, blocks, 3)
        g_i = gamma * np.exp(shift.get("spend", 0.0))
        px = p * x
        big = np.log(g_i + x * m)
        ll = (
            special.gammaln(px + q)
            - special.gammaln(px)
            - special.gammaln(q)
            + q * np.log(g_i)
            + (px - 1.0) * log_m
            + px * log_x
            - (px + q) * big
        )
        psi = special.digamma(px + q)
        d_p = x * (psi - special.digamma(px) + log_m + log_x - big)
        d_q = psi - special.digamma(q) + np.log(g_i) - big
        g_gamma = (q / g_i - (px + q) / (g_i + x * m)) * g_i
        grad: list[Any] = [dot(w, d_p) * p, dot(w, d_q) * q, dot(w, g_gamma)]
        grad += _coef_grad(blocks, {"spend": g_gamma}, w)
        return -dot(w, ll), -np.concatenate([np.atleast_1d(g) for g in grad])

    optimum = _optimise(
        objective,
        start,
        base_names=("p", "q", "gamma"),
        blocks=blocks,
        n=int(x.size),
        model="Gamma-Gamma with covariates",
    )
    natural, effects, diagnostics = _finish(optimum, ("p", "q", "gamma"), blocks, 3)
    p, q, gamma = natural[:3].tolist()
    return GammaGammaFit(
        p=p,
        q=q,
        gamma=gamma,
        log_likelihood=optimum.log_likelihood,
        n_customers=int(x.size),
        n_excluded=rfm.n - int(x.size),
        n_distinct_rows=int(x.size),
        independence=_independence(x, m),
        diagnostics=diagnostics,
        covariates=effects,
    )

"""The continuous-time purchase models behind one interface.

BG/NBD, MBG/NBD and Pareto/NBD answer the same questions (P(alive), expected
purchases, ...) with different formulas. :func:`kernel` turns a fitted model
(and, for a covariate model, the customers' design matrices) into a
:class:`Kernel` holding per-customer parameters; every predictive function
works on kernels, so it handles every model, with or without covariates, and
the prediction intervals build kernels from sampled parameter vectors.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final, Literal

import attrs
import numpy as np
import numpy.typing as npt

from crmkit.roi._models import _bg_family as bg
from crmkit.roi._models._bgnbd import BGNBDFit
from crmkit.roi._models._mbgnbd import MBGNBDFit
from crmkit.roi._models._pareto import ParetoNBDFit
from crmkit.roi._models._pareto_kernel import log_term, log_terms

__all__ = [
    "PURCHASE_MODELS",
    "Kernel",
    "PurchaseModel",
    "kernel",
    "kernel_from_vector",
    "model_vector",
]

FloatArray = npt.NDArray[np.float64]
Param = FloatArray | float
PurchaseModel = BGNBDFit | MBGNBDFit | ParetoNBDFit
PURCHASE_MODELS: Final = (BGNBDFit, MBGNBDFit, ParetoNBDFit)
_PMF_NODES: Final = 256  # Gauss-Legendre nodes over the Lomax dropout time (Pareto/NBD pmf)
_LAGUERRE_NODES: Final = 64  # Gauss-Laguerre nodes when almost every customer drops out by t
_STEEP: Final = 30.0  # s log(1 + t/beta) above which the Laguerre rule is used


def _take(value: Param, index: npt.NDArray[np.int64]) -> Param:
    return value[index] if isinstance(value, np.ndarray) and value.ndim else value


@attrs.frozen(kw_only=True)
class Kernel:
    """Per-customer parameters of a purchase model and its formulas (internal).

    ``u, v`` are ``a, b`` for the beta-geometric models and ``s, beta`` for
    Pareto/NBD; ``alpha``, ``u`` and ``v`` are scalars or per-row arrays.
    """

    kind: Literal["bg", "mbg", "pareto"]
    r: float
    alpha: Param
    u: Param
    v: Param

    @property
    def theta(self) -> tuple[float, Param, Param, Param]:
        """The parameters as a tuple ``(r, alpha, u, v)``."""
        return (self.r, self.alpha, self.u, self.v)

    @property
    def per_row(self) -> bool:
        """Whether the parameters differ between rows (a covariate model)."""
        return any(isinstance(p, np.ndarray) and p.ndim for p in (self.alpha, self.u, self.v))

    def take(self, index: npt.NDArray[np.int64]) -> Kernel:
        """Return the kernel of a subset of the rows."""
        return attrs.evolve(
            self,
            alpha=_take(self.alpha, index),
            u=_take(self.u, index),
            v=_take(self.v, index),
        )

    def alive(self, x: FloatArray, t_x: FloatArray, T: FloatArray) -> FloatArray:
        """P(alive | x, t_x, T)."""
        if self.kind == "pareto":
            from scipy import special  # noqa: PLC0415

            survive, dropped = self._pareto_terms(x, t_x, T)
            with np.errstate(invalid="ignore"):
                diff = np.where(np.isneginf(dropped), np.inf, survive - dropped)
            return np.asarray(special.expit(diff), dtype=np.float64)
        return bg.p_alive(self.theta, x, t_x, T, modified=self.kind == "mbg")

    def _pareto_terms(
        self, x: FloatArray, t_x: FloatArray, T: FloatArray
    ) -> tuple[FloatArray, FloatArray]:
        """Pareto/NBD log terms; with scalar parameters the series run once per (x, t) pair."""
        if self.per_row or x.size < 64:
            return log_terms(self.theta, x, t_x, T)
        both = np.concatenate([x + 1j * t_x, x + 1j * T])
        uniq, inverse = np.unique(both, return_inverse=True)
        terms = log_term(self.theta, uniq.real, uniq.imag)[inverse]
        l1, l2 = terms[: x.size], terms[x.size :]
        r, alpha, s, beta = self.r, self.alpha, self.u, self.v
        survive = -(r + x) * np.log(alpha + T) - s * np.log(beta + T)
        with np.errstate(divide="ignore"):
            log_a0 = l1 + np.log(-np.expm1(np.minimum(l2 - l1, 0.0)))
            dropped = np.log(s) - np.log(r + s + x) + log_a0
        return np.asarray(survive, dtype=np.float64), np.asarray(dropped, dtype=np.float64)

    def expected(self, x: FloatArray, t_x: FloatArray, T: FloatArray, t: Param) -> FloatArray:
        """E[Y(t) | x, t_x, T] = factor(x, t_x, T) part(x, T, t)."""
        return np.asarray(self.factor(x, t_x, T) * self.part(x, T, t), dtype=np.float64)

    def factor(self, x: FloatArray, t_x: FloatArray, T: FloatArray) -> FloatArray:
        """Return the part of E[Y(t)] that depends on the history but not on t: P(alive)."""
        return self.alive(x, t_x, T)

    def part(self, x: FloatArray, T: FloatArray, t: Param) -> FloatArray:
        """Return the part of E[Y(t)] that depends on t, through (x, T) only: E[Y(t) | alive]."""
        if self.kind == "pareto":
            r, alpha, s, beta = self.r, self.alpha, self.u, self.v
            base = (r + x) * (beta + T) / (alpha + T)
            log_ratio = np.log(beta + T) - np.log(beta + T + t)  # <= 0
            with np.errstate(divide="ignore", invalid="ignore"):
                growth = np.where(
                    np.abs(s - 1.0) < 1e-10,
                    -log_ratio,
                    -np.expm1((s - 1.0) * log_ratio) / (s - 1.0),
                )
            return np.asarray(base * growth, dtype=np.float64)
        return bg.alive_expected(self.theta, x, T, t, modified=self.kind == "mbg")

    def alive_ahead(self, x: FloatArray, t_x: FloatArray, T: FloatArray, t: Param) -> FloatArray:
        """P(alive at T + t | x, t_x, T)."""
        if self.kind == "pareto":
            s, beta = self.u, self.v
            survive = np.exp(s * (np.log(beta + T) - np.log(beta + T + t)))
            return np.asarray(self.alive(x, t_x, T) * survive, dtype=np.float64)
        return bg.alive_ahead(self.theta, x, t_x, T, t, modified=self.kind == "mbg")

    def dert(self, x: FloatArray, t_x: FloatArray, T: FloatArray, delta: float) -> FloatArray:
        """Discounted expected residual transactions at continuous discount rate *delta*."""
        if self.kind == "pareto":
            from scipy import special  # noqa: PLC0415

            r, alpha, s, beta = self.r, self.alpha, self.u, self.v
            # E[lambda | alive] E[1 / (delta + mu) | alive], mu | alive ~ Gamma(s, beta + T):
            # E[1 / (delta + mu)] = (beta + T)^s delta^(s - 1) U(s, s, delta (beta + T))
            c = beta + T
            with np.errstate(all="ignore"):
                log_u = np.log(special.hyperu(s, s, delta * c))
                inv = np.exp(s * np.log(c) + (s - 1.0) * np.log(delta) + log_u)
            inv = np.where(np.isfinite(inv), np.minimum(inv, 1.0 / delta), 1.0 / delta)
            return np.asarray(self.alive(x, t_x, T) * (r + x) / (alpha + T) * inv)
        return bg.discounted_expected(self.theta, x, t_x, T, delta, modified=self.kind == "mbg")

    def unconditional(self, t: FloatArray) -> FloatArray:
        """E[X(t)] for a new customer; shape t.shape (+ rows for per-row parameters)."""
        if self.kind == "pareto":
            r, alpha, s, beta = self.r, self.alpha, self.u, self.v
            log_ratio = np.log(beta) - np.log(beta + t)
            with np.errstate(divide="ignore", invalid="ignore"):
                growth = np.where(
                    np.abs(s - 1.0) < 1e-10,
                    -log_ratio,
                    -np.expm1((s - 1.0) * log_ratio) / (s - 1.0),
                )
            return np.asarray(r * beta / alpha * growth, dtype=np.float64)
        return bg.unconditional_expected(self.theta, t, modified=self.kind == "mbg")

    def pmf(self, t: float, n: npt.NDArray[np.int64]) -> FloatArray:
        """P(X(t) = n) for a new customer, for each count in *n*."""
        if self.kind != "pareto":
            return bg.pmf(self.theta, t, n, modified=self.kind == "mbg")
        from scipy import special  # noqa: PLC0415

        r, alpha, s, beta = self.r, self.alpha, self.u, self.v
        nf = n.astype(np.float64)

        def nb(tau: FloatArray | float) -> FloatArray:
            p = alpha / (alpha + tau)
            log = (
                special.gammaln(r + nf)
                - special.gammaln(r)
                - special.gammaln(nf + 1.0)
                + r * np.log(p)
                + nf * np.log1p(-p)
            )
            return np.asarray(np.exp(log), dtype=np.float64)

        # P(X(t) = n) = E[NB_n(min(tau, t))] over the Lomax dropout time tau; with
        # v = log(1 + tau/beta), tau has density s e^(-s v) and V = log(1 + t/beta) is t
        steep = np.asarray(s * np.log1p(t / beta)) > _STEEP
        total = np.zeros(np.broadcast(nb(t), steep).shape)
        if not np.all(steep):
            # alive at t with probability e^(-s V), else dropped out at w = s v in (0, s V),
            # weighted e^(-w): Gauss-Legendre over [0, s V] (the integrand is smooth there)
            span = np.asarray(s * np.log1p(t / beta))
            nodes, weights = np.polynomial.legendre.leggauss(_PMF_NODES)
            part = np.exp(-span) * nb(t)
            for xk, ak in zip(nodes.tolist(), weights.tolist(), strict=True):
                point = 0.5 * (xk + 1.0) * span
                part = part + 0.5 * span * ak * np.exp(-point) * nb(beta * np.expm1(point / s))
            total = np.where(steep, total, part)
        if np.any(steep):
            # almost every customer has dropped out by t (e^(-s V) < e^-30): Gauss-Laguerre in
            # w = s v, the integrand NB_n(min(tau, t)) being smooth where the weight lives
            nodes, weights = np.polynomial.laguerre.laggauss(_LAGUERRE_NODES)
            part = np.zeros_like(total)
            limit = np.log1p(t / beta)
            for wk, ak in zip(nodes.tolist(), weights.tolist(), strict=True):
                tau = beta * np.expm1(np.minimum(wk / s, limit))
                part = part + ak * nb(tau)
            total = np.where(steep, part, total)
        return np.asarray(total, dtype=np.float64)


def _per_row(
    base: float, design: FloatArray | None, coefficients: FloatArray, sign: float
) -> Param:
    if design is None or design.shape[1] == 0:
        return base
    return np.asarray(base * np.exp(sign * (design @ coefficients)), dtype=np.float64)


def model_vector(model: PurchaseModel) -> FloatArray:
    """Return the natural parameter vector of a model (base parameters, then coefficients)."""
    values = list(model.params.values())
    effects = getattr(model, "covariates", None)
    if effects is not None:
        for process in effects.processes:
            values.extend(effects.coefficients[process].values())
    return np.asarray(values, dtype=np.float64)


def kernel_from_vector(
    model: PurchaseModel, theta: FloatArray, designs: Mapping[str, FloatArray] | None
) -> Kernel:
    """Return the kernel of *model*'s family at parameters *theta* (natural scale).

    Covariates follow CLVTools: the purchase process scales ``alpha`` by
    ``exp(-g'z)``; dropout scales ``a`` and ``b`` of BG/NBD by ``exp(g'z)`` and
    ``beta`` of Pareto/NBD by ``exp(-g'z)``.
    """
    r, alpha, u, v = (float(x) for x in theta[:4])
    kind: Literal["bg", "mbg", "pareto"] = (
        "pareto"
        if isinstance(model, ParetoNBDFit)
        else "mbg"
        if isinstance(model, MBGNBDFit)
        else "bg"
    )
    effects = getattr(model, "covariates", None)
    if effects is None or designs is None:
        return Kernel(kind=kind, r=r, alpha=alpha, u=u, v=v)
    start = 4
    coef: dict[str, FloatArray] = {}
    for process in effects.processes:
        width = len(effects.encodings[process].columns)
        coef[process] = theta[start : start + width]
        start += width
    a_alpha = _per_row(alpha, designs.get("purchase"), coef.get("purchase", np.zeros(0)), -1.0)
    drop = designs.get("dropout")
    gamma_d = coef.get("dropout", np.zeros(0))
    if kind == "pareto":
        return Kernel(kind=kind, r=r, alpha=a_alpha, u=u, v=_per_row(v, drop, gamma_d, -1.0))
    return Kernel(
        kind=kind,
        r=r,
        alpha=a_alpha,
        u=_per_row(u, drop, gamma_d, 1.0),
        v=_per_row(v, drop, gamma_d, 1.0),
    )


def kernel(model: PurchaseModel, designs: Mapping[str, FloatArray] | None = None) -> Kernel:
    """Return the kernel of a fitted (or given) purchase model."""
    return kernel_from_vector(model, model_vector(model), designs)

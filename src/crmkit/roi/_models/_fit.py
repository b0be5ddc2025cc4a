"""Shared maximum-likelihood machinery: optimise, diagnose, covariance, warn.

Every customer-base model is fitted through :func:`maximise`: L-BFGS-B on a
working vector (logs of the positive parameters, covariate coefficients as
they are), an analytic gradient from the model, then one diagnosis for all of
them: convergence, gradient norm, parameters at a bound or in a degenerate
corner, the observed information (a forward difference of the analytic
gradient), its condition and the asymptotic covariance. A fit either raises
:class:`crmkit.errors.FitError` or reports every doubt in its diagnostics
(and as a :class:`crmkit.errors.ConvergenceWarning`); it never passes silently.
"""

from __future__ import annotations

import contextlib
import functools
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, Final

import attrs
import numpy as np
import numpy.typing as npt

from crmkit._params import number
from crmkit._results import frozen_mapping
from crmkit.errors import ConvergenceWarning, FitError

__all__ = [
    "FitDiagnostics",
    "Optimum",
    "check_given_params",
    "given_diagnostics",
    "maximise",
    "one_blas_thread",
    "prefit",
]

FloatArray = npt.NDArray[np.float64]
Objective = Callable[[FloatArray], tuple[float, FloatArray]]

LOG_BOUND: Final = 25.0  # log parameters kept within exp(+-25) ~ [1.4e-11, 7.2e10]
COEFFICIENT_BOUND: Final = 30.0  # coefficients of standardised covariates
_CORNER: Final = 13.0  # |log parameter| beyond this (a factor 4.4e5) is a degenerate corner
_GRADIENT_TOLERANCE: Final = 1e-3  # per-customer gradient norm accepted as converged
_CONDITION_LIMIT: Final = 1e10  # condition of the scaled information beyond which it is singular


@attrs.frozen(kw_only=True)
class FitDiagnostics:
    """How a maximum-likelihood fit went, and whether to trust it.

    Attributes
    ----------
    converged : bool
        The optimiser reported success, or stopped with a gradient small
        enough to count as converged. False only for a fit whose optimiser
        stopped short on a ridge or in a degenerate corner (then
        ``degenerate`` is True); anywhere else that is a
        :class:`~crmkit.errors.FitError`.
    optimizer_message : str
        The optimiser's own message.
    n_iterations : int
        Optimiser iterations.
    n_evaluations : int
        Likelihood evaluations.
    gradient_norm : float
        Euclidean norm of the gradient of the mean log-likelihood per
        customer with respect to the working parameters (logs of the positive
        parameters), at the optimum: about 0 at a proper interior maximum.
    hessian_positive_definite : bool
        Whether the observed information matrix could be inverted; if not,
        the standard errors are NaN.
    hessian_condition : float
        Condition number of the observed information after scaling it to unit
        diagonal (1 for independent, well-identified parameters; above 1e10
        it is treated as singular). NaN for given parameters.
    at_bound : tuple of str
        Parameters that ran to the optimiser's bound or to a degenerate corner
        (a positive parameter beyond a factor of about 4e5 from 1 on the log
        scale, such as BG/NBD's ``a`` and ``b`` running to 10^6).
    degenerate : bool
        The data do not identify the model: a parameter at a bound or corner,
        a singular information matrix, or a model-specific degeneracy (for
        BG/NBD, every customer alive). Predictions from such a fit are not
        estimates; the warnings say what happened in words.
    parameter_names : tuple of str
        The names of the parameters, in the order of the covariance matrices.
    standard_errors : mapping of str to float
        Asymptotic standard errors from the inverse observed information
        (NaN when it cannot be computed).
    covariance : ndarray of float64, shape (k, k)
        Asymptotic covariance of the parameter estimates (delta method from
        the working scale); NaN when the information matrix is singular.
    working_covariance : ndarray of float64, shape (k, k)
        The inverse observed information on the working scale (logs of the
        positive parameters, coefficients as they are): the covariance that
        the prediction intervals sample from.
    warnings : tuple of str
        Every :class:`crmkit.errors.ConvergenceWarning` message the fit raised.

    Examples
    --------
    >>> from crmkit.roi import bgnbd_from_params
    >>> bgnbd_from_params(r=1.0, alpha=2.0, a=1.0, b=2.0).diagnostics.optimizer_message
    'parameters given, not fitted'
    """

    converged: bool
    optimizer_message: str
    n_iterations: int
    n_evaluations: int
    gradient_norm: float
    hessian_positive_definite: bool
    hessian_condition: float
    at_bound: tuple[str, ...]
    degenerate: bool
    parameter_names: tuple[str, ...]
    standard_errors: Mapping[str, float] = attrs.field(converter=frozen_mapping)
    covariance: FloatArray = attrs.field(eq=False)
    working_covariance: FloatArray = attrs.field(eq=False)
    warnings: tuple[str, ...]

    @property
    def ok(self) -> bool:
        """Converged, not degenerate, standard errors available and no warnings."""
        return (
            self.converged
            and not self.degenerate
            and self.hessian_positive_definite
            and not self.warnings
        )

    @property
    def fitted(self) -> bool:
        """Whether the parameters were estimated (False for ``*_from_params``)."""
        return self.n_evaluations > 0

    def summary(self) -> str:
        """Say in one sentence whether the fit can be trusted, and why not.

        Returns
        -------
        str
            ``"converged"`` for a sound fit, otherwise what is wrong, in words.

        Examples
        --------
        >>> from crmkit.roi import bgnbd_from_params
        >>> bgnbd_from_params(r=1.0, alpha=2.0, a=1.0, b=2.0).diagnostics.summary()
        'parameters given, not fitted'
        """
        if not self.fitted:
            return self.optimizer_message
        if self.degenerate:
            reasons = []
            if not self.converged:
                reasons.append("the optimiser stopped short of convergence")
            if self.at_bound:
                reasons.append(f"{', '.join(self.at_bound)} ran to a bound or corner")
            if not self.hessian_positive_definite:
                reasons.append("the information matrix is singular")
            if not reasons:
                reasons.append(self.warnings[-1] if self.warnings else "model degeneracy")
            return "DEGENERATE fit, the data do not identify the model: " + "; ".join(reasons)
        if self.warnings:
            return f"converged with {len(self.warnings)} warning(s): {self.warnings[0]}"
        return "converged"


@attrs.frozen(kw_only=True)
class Optimum:
    """Internal: parameters at the optimum, the working vector and the diagnostics."""

    params: FloatArray
    working: FloatArray
    log_likelihood: float
    diagnostics: FitDiagnostics


def check_given_params(values: Mapping[str, object], *, function: str) -> dict[str, float]:
    """Check given model parameters (``*_from_params``): each a finite number > 0.

    Returns the values as floats, in the order given.
    """
    return {
        name: number(value, name=name, function=function, low=0.0, low_open=True)
        for name, value in values.items()
    }


def given_diagnostics(names: Sequence[str]) -> FitDiagnostics:
    """Diagnostics for a model built from given parameters rather than fitted."""
    k = len(names)
    nan = np.full((k, k), np.nan)
    nan.flags.writeable = False
    return FitDiagnostics(
        converged=True,
        optimizer_message="parameters given, not fitted",
        n_iterations=0,
        n_evaluations=0,
        gradient_norm=float("nan"),
        hessian_positive_definite=False,
        hessian_condition=float("nan"),
        at_bound=(),
        degenerate=False,
        parameter_names=tuple(names),
        standard_errors=dict.fromkeys(names, float("nan")),
        covariance=nan,
        working_covariance=nan,
        warnings=(),
    )


def _hessian(objective: Objective, x: FloatArray, grad: FloatArray) -> FloatArray:
    """Forward differences of the analytic gradient (one evaluation per parameter), symmetrised.

    The gradient is analytic, so forward differences with a step of 1e-6 are
    accurate to about 1e-6 relative: ample for standard errors.
    """
    k = x.size
    hess = np.empty((k, k), dtype=np.float64)
    for j in range(k):
        step = 1e-6 * max(1.0, abs(float(x[j])))
        up = x.copy()
        up[j] += step
        hess[:, j] = (objective(up)[1] - grad) / step
    return 0.5 * (hess + hess.T)


@functools.cache
def _blas_libraries() -> Any:  # noqa: ANN401  (threadpoolctl is untyped)
    """Return the loaded BLAS libraries, found once per process (1 ms each time otherwise).

    Called from inside a fit, after scipy is imported, so numpy's and scipy's
    BLAS are both loaded. Which libraries are loaded never changes a result.
    """
    from threadpoolctl import ThreadpoolController  # noqa: PLC0415  (optional 'models' extra)

    return ThreadpoolController().select(user_api="blas")


@contextlib.contextmanager
def one_blas_thread() -> Iterator[None]:
    """Run the block with every loaded BLAS (numpy's, scipy's) on one thread.

    A fit optimises a handful of parameters: L-BFGS-B's BLAS calls work on
    vectors of four numbers and the 4 x 4 information matrix, far too small
    for threads to help. A multi-threaded BLAS spins up its threads for them
    anyway, and on a machine whose other cores are busy each call waits for a
    core: a BG/NBD fit of CDNOW's 2,357 customers took 0.18 s instead of
    0.02 s with a busy process on the other core (``benchmarks/bench_roi.py``).
    threadpoolctl (the ``models`` extra) bounds the threads for the block only
    and restores them after; without it the block runs as is.
    """
    try:
        libraries = _blas_libraries()
    except ModuleNotFoundError:  # a slower fit, not a wrong one
        yield
        return
    with libraries.limit(limits=1):
        yield


def _to_working(start: Sequence[float], log_scale: npt.NDArray[np.bool_]) -> FloatArray:
    values = np.asarray(start, dtype=np.float64)
    with np.errstate(divide="ignore"):
        return np.where(log_scale, np.log(np.where(log_scale, values, 1.0)), values)


def _bounds(log_scale: npt.NDArray[np.bool_]) -> list[tuple[float, float]]:
    return [
        (-LOG_BOUND, LOG_BOUND) if is_log else (-COEFFICIENT_BOUND, COEFFICIENT_BOUND)
        for is_log in log_scale
    ]


def prefit(
    objective: Objective, start: Sequence[float], *, log_scale: Sequence[bool] | None = None
) -> list[float]:
    """Return a warm start: the optimum of a cheap approximate objective (or *start*)."""
    from scipy import optimize  # noqa: PLC0415

    mask = np.ones(len(start), dtype=bool) if log_scale is None else np.asarray(log_scale)
    x0 = _to_working(start, mask)
    with one_blas_thread():
        result = optimize.minimize(
            objective,
            x0,
            jac=True,
            method="L-BFGS-B",
            bounds=_bounds(mask),
            options={"maxiter": 500, "ftol": 1e-12, "gtol": 1e-7},
        )
    x = np.asarray(result.x, dtype=np.float64)
    if not np.all(np.isfinite(x)) or not np.isfinite(objective(x)[0]):
        return [float(v) for v in start]
    natural = np.where(mask, np.exp(np.clip(x, -_CORNER, _CORNER)), x)
    return [float(v) for v in natural]


def _information(
    objective: Objective, x: FloatArray, grad: FloatArray, n_customers: int
) -> tuple[FloatArray, bool, float]:
    """Return the working covariance, whether the information is invertible, its condition."""
    k = x.size
    nan = np.full((k, k), np.nan)
    hess = _hessian(objective, x, grad) * n_customers
    if not np.all(np.isfinite(hess)):
        return nan, False, float("inf")
    diag = np.diag(hess)
    if np.any(diag <= 0):
        return nan, False, float("inf")
    scale = 1.0 / np.sqrt(diag)
    scaled = hess * scale[:, None] * scale[None, :]
    with one_blas_thread():  # a k x k matrix
        eig = np.linalg.eigvalsh(scaled)
        inverse = np.linalg.inv(scaled) if eig[0] > 0 else np.full_like(scaled, np.nan)
    condition = float(eig[-1] / eig[0]) if eig[0] > 0 else float("inf")
    if not eig[0] > 0 or condition > _CONDITION_LIMIT:
        return nan, False, condition
    cov = inverse * scale[:, None] * scale[None, :]
    cov = 0.5 * (cov + cov.T)
    if not np.all(np.isfinite(cov)) or np.any(np.diag(cov) <= 0):
        return nan, False, condition
    return cov, True, condition


def maximise(
    objective: Objective,
    start: Sequence[float],
    *,
    names: Sequence[str],
    model: str,
    n_customers: int,
    log_scale: Sequence[bool] | None = None,
    extra_warnings: Callable[[FloatArray], list[str]] | None = None,
    stacklevel: int = 3,
) -> Optimum:
    """Minimise ``objective`` (the negative mean log-likelihood and its gradient, working scale).

    *start* is on the natural scale; *log_scale* says which entries are
    optimised on the log scale (default: all). Returns the natural
    parameters, the total log-likelihood and diagnostics; raises FitError
    when the optimiser fails outright (where the information matrix is sound),
    and emits a ConvergenceWarning for every doubt about the fit. An optimiser
    that stops short on a ridge or in a corner (a parameter at a bound or
    corner, or a singular information matrix) gives a fit with ``converged``
    False and ``degenerate`` True. Messages of *extra_warnings* (model-specific
    degeneracies) mark the fit degenerate.
    """
    from scipy import optimize  # noqa: PLC0415  (optional 'models' extra)

    mask = np.ones(len(start), dtype=bool) if log_scale is None else np.asarray(log_scale)
    x0 = _to_working(start, mask)
    value0, grad0 = objective(x0)
    if not np.isfinite(value0) or not np.all(np.isfinite(grad0)):
        shown = dict(zip(names, np.round(np.asarray(start, dtype=float), 6).tolist(), strict=True))
        raise FitError(
            f"The {model} fit could not start: the log-likelihood at the starting values "
            f"{shown} is not finite."
        )
    with one_blas_thread():
        result = optimize.minimize(
            objective,
            x0,
            jac=True,
            method="L-BFGS-B",
            bounds=_bounds(mask),
            options={"maxiter": 2000, "ftol": 1e-15, "gtol": 1e-7, "maxcor": 20},
        )
    x = np.asarray(result.x, dtype=np.float64)
    # L-BFGS-B returns the objective and gradient at its final point
    if "fun" in result and "jac" in result:
        value, grad = float(result.fun), np.asarray(result.jac, dtype=np.float64)
    else:
        value, grad = objective(x)
    message = str(result.message)
    gradient_norm = float(np.linalg.norm(grad))
    if not np.isfinite(value):
        raise FitError(
            f"The {model} fit failed: L-BFGS-B stopped with {message!r} after "
            f"{int(result.nit)} iterations at a non-finite log-likelihood."
        )
    converged = bool(result.success) or gradient_norm < _GRADIENT_TOLERANCE
    bound = np.where(mask, LOG_BOUND, COEFFICIENT_BOUND)
    at_bound = tuple(
        n
        for n, v, b, is_log in zip(names, x, bound, mask, strict=True)
        if abs(v) >= b - 1e-6 or (is_log and abs(v) > _CORNER)
    )
    cov_work, positive, condition = _information(objective, x, grad, n_customers)
    if not converged and not at_bound and positive:
        raise FitError(
            f"The {model} fit failed: L-BFGS-B stopped with {message!r} after "
            f"{int(result.nit)} iterations; gradient norm {gradient_norm:.3g} "
            f"(per customer, working parameters)."
        )
    theta = np.where(mask, np.exp(np.where(mask, x, 0.0)), x)
    shown = {n: float(f"{v:.4g}") for n, v in zip(names, theta.tolist(), strict=True)}
    issues: list[str] = []
    degenerate = False
    if not converged:
        # the optimiser stopped on a ridge or in a corner, where the likelihood is flat to
        # rounding along some direction (its line search fails there): the data do not
        # identify the model, which is what the result says, flagged
        degenerate = True
        issues.append(
            f"{model}: L-BFGS-B stopped with {message!r} after {int(result.nit)} iterations "
            f"(gradient norm {gradient_norm:.3g}) on a ridge or in a degenerate corner; the "
            "fit is not converged."
        )
    if at_bound:
        degenerate = True
        issues.append(
            f"{model}: parameters {list(at_bound)} ran to a bound or degenerate corner "
            f"({shown}); the data do not identify them."
        )
    if gradient_norm > _GRADIENT_TOLERANCE:
        issues.append(
            f"{model}: gradient norm {gradient_norm:.3g} at the optimum is large; "
            "the maximum may be inaccurate."
        )
    if not positive:
        degenerate = True
        issues.append(
            f"{model}: the observed information matrix is singular (condition "
            f"{condition:.3g}); standard errors cannot be computed and the optimum is a "
            "ridge or a corner."
        )
    if extra_warnings is not None:
        extra = extra_warnings(theta)
        degenerate = degenerate or bool(extra)
        issues.extend(extra)
    for text in issues:
        warnings.warn(text, ConvergenceWarning, stacklevel=stacklevel)
    jac = np.where(mask, theta, 1.0)
    cov = cov_work * jac[:, None] * jac[None, :]
    errors = np.sqrt(np.diag(cov)) if positive else np.full(x.size, np.nan)
    for arr in (cov, cov_work):
        arr.flags.writeable = False
    diagnostics = FitDiagnostics(
        converged=converged,
        optimizer_message=message,
        n_iterations=int(result.nit),
        n_evaluations=int(result.nfev),
        gradient_norm=gradient_norm,
        hessian_positive_definite=positive,
        hessian_condition=condition,
        at_bound=at_bound,
        degenerate=degenerate,
        parameter_names=tuple(names),
        standard_errors=dict(zip(names, errors.tolist(), strict=True)),
        covariance=cov,
        working_covariance=cov_work,
        warnings=tuple(issues),
    )
    return Optimum(
        params=theta, working=x, log_likelihood=-value * n_customers, diagnostics=diagnostics
    )

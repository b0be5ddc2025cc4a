"""Shared maximum-likelihood machinery: optimise on log parameters, diagnose, warn."""

from __future__ import annotations

import contextlib
import functools
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, Final

import attrs
import numpy as np
import numpy.typing as npt

from crmkit._results import frozen_mapping
from crmkit.errors import ConvergenceWarning, FitError, InputError

__all__ = ["FitDiagnostics", "check_given_params", "maximise", "one_blas_thread", "prefit"]

FloatArray = npt.NDArray[np.float64]
Objective = Callable[[FloatArray], tuple[float, FloatArray]]

_LOG_BOUND: Final = 25.0  # parameters kept within exp(+-25) ~ [1.4e-11, 7.2e10]
_CORNER: Final = 18.0  # |log parameter| beyond this is a degenerate corner
_GRADIENT_TOLERANCE: Final = 1e-3  # per-customer gradient norm accepted as converged


def check_given_params(values: Mapping[str, object], *, function: str) -> None:
    """Check that every given model parameter is a finite number > 0 (``*_from_params``)."""
    for name, value in values.items():
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float, np.number))
            or not np.isfinite(float(value))
            or float(value) <= 0
        ):
            raise InputError.for_parameter(name, "a finite number > 0", value, function=function)


@attrs.frozen(kw_only=True)
class FitDiagnostics:
    """How a maximum-likelihood fit went, and whether to trust it.

    Attributes
    ----------
    converged : bool
        The optimiser reported success, or stopped with a gradient small
        enough to count as converged.
    optimizer_message : str
        The optimiser's own message.
    n_iterations : int
        Optimiser iterations.
    n_evaluations : int
        Likelihood evaluations.
    gradient_norm : float
        Euclidean norm of the gradient of the mean log-likelihood per
        customer with respect to the log parameters, at the optimum (about 0
        at a proper interior maximum).
    hessian_positive_definite : bool
        Whether the observed information matrix could be inverted; if not,
        the standard errors are NaN.
    standard_errors : mapping of str to float
        Asymptotic standard errors from the inverse observed information
        (NaN when it cannot be computed).
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
    standard_errors: Mapping[str, float] = attrs.field(converter=frozen_mapping)
    warnings: tuple[str, ...]

    @property
    def ok(self) -> bool:
        """Converged, standard errors available and no warnings."""
        return self.converged and self.hessian_positive_definite and not self.warnings


@attrs.frozen(kw_only=True)
class Optimum:
    """Internal: parameters at the optimum and the diagnostics."""

    params: FloatArray
    log_likelihood: float
    diagnostics: FitDiagnostics


def _hessian(objective: Objective, log_theta: FloatArray, grad: FloatArray) -> FloatArray:
    """Forward differences of the analytic gradient (one evaluation per parameter), symmetrised.

    The gradient is analytic, so forward differences with a step of 1e-6 are
    accurate to about 1e-6 relative: ample for standard errors.
    """
    k = log_theta.size
    hess = np.empty((k, k), dtype=np.float64)
    for j in range(k):
        step = 1e-6 * max(1.0, abs(float(log_theta[j])))
        up = log_theta.copy()
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


def prefit(objective: Objective, start: Sequence[float]) -> list[float]:
    """Return a warm start: the optimum of a cheap approximate objective (or *start*)."""
    from scipy import optimize  # noqa: PLC0415

    x0 = np.log(np.asarray(start, dtype=np.float64))
    with one_blas_thread():
        result = optimize.minimize(
            objective,
            x0,
            jac=True,
            method="L-BFGS-B",
            bounds=[(-_LOG_BOUND, _LOG_BOUND)] * x0.size,
            options={"maxiter": 500, "ftol": 1e-12, "gtol": 1e-7},
        )
    x = np.asarray(result.x, dtype=np.float64)
    if not np.all(np.isfinite(x)) or not np.isfinite(objective(x)[0]):
        return [float(v) for v in start]
    return [float(v) for v in np.exp(np.clip(x, -_CORNER, _CORNER))]


def maximise(
    objective: Objective,
    start: Sequence[float],
    *,
    names: Sequence[str],
    model: str,
    n_customers: int,
    extra_warnings: Callable[[FloatArray], list[str]] | None = None,
) -> Optimum:
    """Minimise ``objective`` (the negative mean log-likelihood and its gradient on log params).

    Returns the natural parameters, the total log-likelihood and diagnostics;
    raises FitError when the optimiser fails outright, and emits a
    ConvergenceWarning for every doubt about the fit.
    """
    from scipy import optimize  # noqa: PLC0415  (optional 'models' extra)

    x0 = np.log(np.asarray(start, dtype=np.float64))
    value0, grad0 = objective(x0)
    if not np.isfinite(value0) or not np.all(np.isfinite(grad0)):
        raise FitError(
            f"The {model} fit could not start: the log-likelihood at the starting values "
            f"{dict(zip(names, np.exp(x0).round(6).tolist(), strict=True))} is not finite."
        )
    bounds = [(-_LOG_BOUND, _LOG_BOUND)] * x0.size
    with one_blas_thread():
        result = optimize.minimize(
            objective,
            x0,
            jac=True,
            method="L-BFGS-B",
            bounds=bounds,
            options={"maxiter": 2000, "ftol": 1e-15, "gtol": 1e-7, "maxcor": 20},
        )
    log_theta = np.asarray(result.x, dtype=np.float64)
    # L-BFGS-B returns the objective and gradient at its final point
    if "fun" in result and "jac" in result:
        value, grad = float(result.fun), np.asarray(result.jac, dtype=np.float64)
    else:
        value, grad = objective(log_theta)
    message = str(result.message)
    gradient_norm = float(np.linalg.norm(grad))
    if not np.isfinite(value):
        raise FitError(
            f"The {model} fit failed: L-BFGS-B stopped with {message!r} after "
            f"{int(result.nit)} iterations at a non-finite log-likelihood."
        )
    converged = bool(result.success) or gradient_norm < _GRADIENT_TOLERANCE
    if not converged:
        raise FitError(
            f"The {model} fit failed: L-BFGS-B stopped with {message!r} after "
            f"{int(result.nit)} iterations; gradient norm {gradient_norm:.3g} "
            f"(per customer, log parameters)."
        )
    issues: list[str] = []
    theta = np.exp(log_theta)
    at_corner = [n for n, lt in zip(names, log_theta, strict=True) if abs(lt) > _CORNER]
    if at_corner:
        issues.append(
            f"{model}: parameters {at_corner} ran to a degenerate corner "
            f"({dict(zip(names, theta.tolist(), strict=True))}); the data do not identify them."
        )
    if gradient_norm > _GRADIENT_TOLERANCE:
        issues.append(
            f"{model}: gradient norm {gradient_norm:.3g} at the optimum is large; "
            "the maximum may be inaccurate."
        )
    hess = _hessian(objective, log_theta, grad) * n_customers
    positive = False
    errors = np.full(x0.size, np.nan)
    if np.all(np.isfinite(hess)):
        try:
            with one_blas_thread():  # a 4 x 4 matrix
                np.linalg.cholesky(hess)
                cov_log = np.linalg.inv(hess)
            errors = theta * np.sqrt(np.diag(cov_log))
            positive = bool(np.all(np.isfinite(errors)))
        except np.linalg.LinAlgError:
            positive = False
    if not positive:
        errors = np.full(x0.size, np.nan)
        issues.append(
            f"{model}: the observed information matrix is not positive definite; standard "
            "errors cannot be computed and the optimum may be a ridge or a corner."
        )
    if extra_warnings is not None:
        issues.extend(extra_warnings(theta))
    for text in issues:
        warnings.warn(text, ConvergenceWarning, stacklevel=3)
    diagnostics = FitDiagnostics(
        converged=converged,
        optimizer_message=message,
        n_iterations=int(result.nit),
        n_evaluations=int(result.nfev),
        gradient_norm=gradient_norm,
        hessian_positive_definite=positive,
        standard_errors=dict(zip(names, errors.tolist(), strict=True)),
        warnings=tuple(issues),
    )
    return Optimum(params=theta, log_likelihood=-value * n_customers, diagnostics=diagnostics)

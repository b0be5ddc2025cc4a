"""The MBG/NBD purchase model (Batislam, Denizel & Filiztekin 2007): maximum likelihood fit."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, ClassVar, Final

import attrs

from crmkit._results import Kind, Result
from crmkit.roi._models._btyd_data import read_rfm, require_models_extra
from crmkit.roi._models._fit import FitDiagnostics, check_given_params, given_diagnostics

if TYPE_CHECKING:
    import numpy.typing as npt

__all__ = ["MBGNBDFit", "fit_mbgnbd", "mbgnbd_from_params"]

_NAMES: Final = ("r", "alpha", "a", "b")


@attrs.frozen(kw_only=True, repr=False)
class MBGNBDFit(Result):
    """A fitted MBG/NBD model (Batislam, Denizel & Filiztekin 2007).

    BG/NBD in which a customer may also drop out right after the first
    purchase, so a customer who never came back can be inactive.

    Attributes
    ----------
    r, alpha : float
        Shape and scale of the gamma distribution of purchase rates (per time
        unit of the data).
    a, b : float
        Shapes of the beta distribution of the dropout probability at each
        purchase, the first included.
    log_likelihood : float
        Maximised log-likelihood.
    n_customers : int
        Customers fitted.
    n_distinct_rows : int
        Distinct (frequency, recency, T) rows the likelihood was evaluated on.
    diagnostics : FitDiagnostics
        Convergence, gradient norm, standard errors, covariance and warnings.

    Examples
    --------
    >>> model = mbgnbd_from_params(r=0.525, alpha=6.183, a=0.891, b=1.614)
    >>> round(model.a / (model.a + model.b), 3)  # mean dropout probability per purchase
    0.356
    """

    _kinds: ClassVar[Mapping[str, Kind]] = {
        "r": "number",
        "alpha": "number",
        "a": "number",
        "b": "number",
        "log_likelihood": "number",
    }

    r: float
    alpha: float
    a: float
    b: float
    log_likelihood: float
    n_customers: int
    n_distinct_rows: int
    diagnostics: FitDiagnostics

    @property
    def params(self) -> dict[str, float]:
        """The parameters as a dict ``{"r", "alpha", "a", "b"}``."""
        return {"r": self.r, "alpha": self.alpha, "a": self.a, "b": self.b}

    @property
    def standard_errors(self) -> dict[str, float]:
        """Standard errors of the parameters (NaN where not computable)."""
        return dict(self.diagnostics.standard_errors)

    @property
    def n_params(self) -> int:
        """Number of estimated parameters."""
        return len(self.diagnostics.parameter_names)


def fit_mbgnbd(
    data: object | None = None,
    *,
    frequency: npt.ArrayLike | None = None,
    recency: npt.ArrayLike | None = None,
    T: npt.ArrayLike | None = None,
) -> MBGNBDFit:
    r"""Fit the MBG/NBD model by maximum likelihood.

    Parameters
    ----------
    data : RFMData, mapping or DataFrame, optional
        Anything with per-customer ``frequency``, ``recency`` and ``T`` (a
        :class:`crmkit.segmentation.BTYDSummary`, a frame, a dict).
    frequency, recency, T : array_like, shape (n,), optional
        The same columns as arrays, instead of *data*.

    Returns
    -------
    MBGNBDFit
        Parameters, log-likelihood and diagnostics.

    Raises
    ------
    InputError
        For inconsistent columns (as :func:`fit_bgnbd`).
    FitError
        When the optimiser fails; the message gives its outcome.
    ImportError
        When scipy (the ``models`` extra) is not installed.

    Warns
    -----
    crmkit.errors.ConvergenceWarning
        For a degenerate fit (a parameter at a bound or corner, a singular
        information matrix, every customer alive) or a large final gradient.

    Notes
    -----
    The likelihood of a customer with :math:`x` repeat purchases, the last at
    :math:`t_x`, observed for :math:`T` (Batislam, Denizel & Filiztekin 2007,
    eq. 3) is

    .. math::

        L = \frac{B(a, b+x+1)}{B(a, b)}\frac{\Gamma(r+x)\alpha^r}{\Gamma(r)}
        \Big[(\alpha+T)^{-(r+x)} + \frac{a}{b+x}(\alpha+t_x)^{-(r+x)}\Big]:

    BG/NBD with :math:`b` moved to :math:`b+1` in the beta terms and the
    dropout term present for every customer, which gives
    :math:`P(\text{alive}) = [1 + \frac{a}{b+x}(\frac{\alpha+T}{\alpha+t_x})^{r+x}]^{-1} < 1`
    even without repeat purchases. It is maximised on the log parameters with
    L-BFGS-B and an analytic gradient, over distinct rows (as
    :func:`fit_bgnbd`), with the same coarse-grid warm start on large bases.

    References
    ----------
    Batislam, E. P., Denizel, M., & Filiztekin, A. (2007). Empirical
    validation and comparison of models for customer base analysis.
    *International Journal of Research in Marketing*, 24(3), 201-209.

    Wagner, U., & Hoppe, D. (2008). Erratum on the MBG/NBD model.
    *International Journal of Research in Marketing*, 25(3), 225-226.

    Examples
    --------
    >>> from crmkit.datasets import simulate_customer_base
    >>> from crmkit.segmentation import btyd_summary
    >>> base = simulate_customer_base(3_000, "2023-01-01", "2024-07-01", seed=3)
    >>> fit = fit_mbgnbd(btyd_summary(base.transactions, freq="week", as_of="2024-07-01"))
    >>> fit.diagnostics.converged, fit.diagnostics.degenerate
    (True, False)
    """
    from crmkit.roi._models._bgnbd import fit_bg_family  # noqa: PLC0415

    fn = "fit_mbgnbd"
    require_models_extra(fn)
    rfm = read_rfm(data, frequency=frequency, recency=recency, T=T, function=fn)
    optimum, distinct = fit_bg_family(rfm, modified=True)
    r, alpha, a, b = optimum.params.tolist()
    return MBGNBDFit(
        r=r,
        alpha=alpha,
        a=a,
        b=b,
        log_likelihood=optimum.log_likelihood,
        n_customers=rfm.n,
        n_distinct_rows=distinct.n,
        diagnostics=optimum.diagnostics,
    )


def mbgnbd_from_params(*, r: float, alpha: float, a: float, b: float) -> MBGNBDFit:
    r"""Build an MBG/NBD model from known parameters (published, simulated or a scenario).

    Parameters
    ----------
    r, alpha, a, b : float
        The MBG/NBD parameters, each > 0 (see :class:`MBGNBDFit`).

    Returns
    -------
    MBGNBDFit
        With ``log_likelihood`` NaN and diagnostics saying the parameters were given.

    Raises
    ------
    InputError
        For a parameter that is not a finite number > 0.

    Notes
    -----
    No fitting: the model of :func:`fit_mbgnbd` at the given parameters, the BG/NBD
    with a dropout chance also at the first purchase (so a customer without repeat
    purchases is not certainly alive).

    References
    ----------
    Batislam, E. P., Denizel, M., & Filiztekin, A. (2007). Empirical validation
    and comparison of models for customer base analysis. *International Journal
    of Research in Marketing*, 24(3), 201-209.

    Examples
    --------
    >>> mbgnbd_from_params(r=0.525, alpha=6.183, a=0.891, b=1.614).params["b"]
    1.614
    """
    values = check_given_params(
        {"r": r, "alpha": alpha, "a": a, "b": b}, function="mbgnbd_from_params"
    )
    return MBGNBDFit(
        r=values["r"],
        alpha=values["alpha"],
        a=values["a"],
        b=values["b"],
        log_likelihood=float("nan"),
        n_customers=0,
        n_distinct_rows=0,
        diagnostics=given_diagnostics(_NAMES),
    )

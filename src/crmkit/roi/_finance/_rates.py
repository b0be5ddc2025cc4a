"""NPV, IRR, MIRR, XNPV and XIRR on one cash-flow series or many scenarios at once."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import ClassVar, Final, overload

import attrs
import numpy as np
import numpy.typing as npt

from crmkit._display import Kind
from crmkit._input import as_readonly
from crmkit._reduce import bincount
from crmkit._results import Result
from crmkit.errors import MultipleIRRError, NoIRRError, NoSignChangeError
from crmkit.roi._finance._flows import (
    FirstPeriod,
    Flows,
    first_period_of,
    read_dates,
    read_flows,
    read_rates,
)
from crmkit.roi._finance._roots import (
    U_LIMIT,
    exp_sum_roots,
    merge_same_dates,
    polynomial_roots,
    sign_changes,
    unique_exp_sum_root,
    unique_polynomial_root,
)

__all__ = [
    "IRRRoots",
    "dated_roots",
    "irr",
    "irr_roots",
    "mirr",
    "npv",
    "npv_columns",
    "npv_unchecked",
    "periodic_roots",
    "xirr",
    "xirr_roots",
    "xnpv",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

_SHOWN: Final = 5
_PERIODIC: Final = (
    "one sign change: safeguarded Newton on the monotone NPV / x^j; several: "
    "companion-matrix eigenvalues, polished"
)
_DATED: Final = (
    "one sign change: safeguarded Newton on the monotone scaled NPV; several: grid scan of "
    "log(1 + r), bisection"
)


def _out(values: FloatArray, scalar: bool) -> float | FloatArray:
    return float(values[0]) if scalar else as_readonly(values)


def npv_unchecked(rates: FloatArray, values: FloatArray, first_period: int) -> FloatArray:
    """NPV of each row of *values* at *rates* (length 1, or one per row, or many for one row)."""
    n = values.shape[1]
    t = np.arange(n, dtype=np.float64) + first_period
    log_growth = np.log1p(rates)
    if rates.size == 1:
        out: FloatArray = values @ np.exp(-t * log_growth[0])
        return out
    if values.shape[0] == 1:
        out = np.exp(-log_growth[:, None] * t[None, :]) @ values[0]
        return np.asarray(out, dtype=np.float64)
    return npv_columns(rates, np.ascontiguousarray(values.T), first_period)


def npv_columns(rates: FloatArray, flows: FloatArray, first_period: int) -> FloatArray:
    """NPV of each column of *flows* (periods x scenarios) at *rates* (one, or one per column)."""
    n = flows.shape[0]
    v = np.exp(-np.log1p(rates))
    acc = flows[n - 1].copy()
    for k in range(n - 2, -1, -1):  # Horner in v = 1 / (1 + r), a vector over the scenarios
        acc *= v
        acc += flows[k]
    if first_period:
        acc *= v
    return np.asarray(acc, dtype=np.float64)


@overload
def npv(rate: float, cashflows: Sequence[float], *, first_period: FirstPeriod) -> float: ...


@overload
def npv(
    rate: npt.ArrayLike, cashflows: npt.ArrayLike, *, first_period: FirstPeriod
) -> float | FloatArray: ...


def npv(
    rate: npt.ArrayLike, cashflows: npt.ArrayLike, *, first_period: FirstPeriod
) -> float | FloatArray:
    r"""Net present value of a cash-flow series, or of many scenarios in one call.

    Parameters
    ----------
    rate : float or array_like of float, shape (s,) or (k,)
        Discount rate per period, > -1 (0.08 = 8%). One rate for every
        scenario, one per scenario row, or, with a single series, any number
        of rates (the NPV profile).
    cashflows : array_like of float, shape (n,) or (s, n)
        Net cash flow of each period (money; outflows negative), one row per
        scenario.
    first_period : {0, 1}
        When the first flow falls, the t = 0 convention. No default: the two
        conventions differ by a factor ``1 + rate``. ``0``: the first flow is
        today and is not discounted (numpy-financial's ``npv``, a t = 0
        investment). ``1``: the first flow falls one period from now
        (spreadsheets' ``NPV()``; add a today's flow outside it).

    Returns
    -------
    float or ndarray of float64
        A float for one series and one rate; otherwise one NPV per scenario
        row (shape (s,)) or per rate (shape (k,)).

    Raises
    ------
    InputError
        For non-finite flows (naming the scenario rows and cells), a rate
        <= -1, a ``first_period`` other than 0 or 1, or rates whose number
        matches neither 1 nor the scenario rows.

    Notes
    -----
    .. math::

        \mathrm{NPV}(r) = \sum_{t=0}^{n-1} \frac{c_t}{(1 + r)^{t + p}},
        \qquad p = \texttt{first\_period}.

    One rate for all rows is a matrix-vector product; one rate per row is a
    Horner evaluation in ``v = 1 / (1 + r)``, column by column.

    References
    ----------
    .. [1] Brealey, R. A., Myers, S. C. and Allen, F. (2020). Principles of
       Corporate Finance, 13th ed., McGraw-Hill, ch. 2 and 5.

    Examples
    --------
    A CRM licence costs 50,000 today and saves 20,000 a year for three years;
    money costs 8% a year:

    >>> round(npv(0.08, [-50_000, 20_000, 20_000, 20_000], first_period=0), 2)
    1541.94

    The same flows in a spreadsheet's ``NPV()`` are all one year later:

    >>> round(npv(0.08, [-50_000, 20_000, 20_000, 20_000], first_period=1), 2)
    1427.72

    Three scenarios of the savings at once:

    >>> savings = [[15_000] * 3, [20_000] * 3, [25_000] * 3]
    >>> npv(0.08, [[-50_000, *s] for s in savings], first_period=0).round(0).tolist()
    [-11344.0, 1542.0, 14427.0]
    """
    fn = "npv"
    flows = read_flows(cashflows, function=fn, min_periods=1)
    start = first_period_of(first_period, function=fn)
    rates = read_rates(rate, n_scenarios=flows.n_scenarios, function=fn)
    return _out(npv_unchecked(rates, flows.values, start), flows.single and np.ndim(rate) == 0)


@attrs.frozen(kw_only=True, repr=False)
class IRRRoots(Result):
    """Every internal rate of return of each scenario: one row per root.

    Attributes
    ----------
    scenario : ndarray of int64, shape (m,)
        The scenario row (0 for a single series) each root belongs to.
    rate : ndarray of float64, shape (m,)
        The roots: rates > -1 at which NPV is zero, ascending within a scenario.
    n_roots : ndarray of int64, shape (s,)
        Roots per scenario: 0 (no IRR), 1 (the IRR) or more (NPV is zero at
        each; the IRR is not a usable figure of merit there).
    n_sign_changes : ndarray of int64, shape (s,)
        Sign changes of each scenario's flows: Descartes' rule bounds
        ``n_roots`` by it.
    method : str
        How the roots were found.

    Examples
    --------
    >>> r = irr_roots([-100.0, 230.0, -132.0])
    >>> r.rate.round(4).tolist(), r.n_roots.tolist()
    ([0.1, 0.2], [2])
    """

    _table: ClassVar[tuple[str, ...]] = ("scenario", "rate")
    _kinds: ClassVar[Mapping[str, Kind]] = {
        "scenario": "id",
        "rate": "share",
        "n_roots": "count",
        "n_sign_changes": "count",
    }

    scenario: IntArray
    rate: FloatArray
    n_roots: IntArray
    n_sign_changes: IntArray
    method: str

    def roots(self, scenario: int) -> FloatArray:
        """Return the roots of one scenario row, ascending.

        Parameters
        ----------
        scenario : int
            The row (0 for a single series).

        Returns
        -------
        ndarray of float64
            Possibly empty.

        Examples
        --------
        >>> irr_roots([[-100.0, 110.0], [-100.0, 121.0]]).roots(1).round(6).tolist()
        [0.21]
        """
        return as_readonly(self.rate[self.scenario == scenario])


def periodic_roots(values: FloatArray) -> IRRRoots:
    ct = np.ascontiguousarray(values.T)
    changes = sign_changes(ct)
    one = np.flatnonzero(changes == 1)
    many = np.flatnonzero(changes > 1)
    rows = [one]
    if one.size == ct.shape[1]:
        rates = [np.expm1(-unique_polynomial_root(ct))]
    elif one.size:
        rates = [np.expm1(-unique_polynomial_root(np.ascontiguousarray(ct[:, one])))]
    else:
        rates = [np.zeros(0)]
    if many.size:
        at, x = polynomial_roots(values[many])
        rows.append(many[at])
        with np.errstate(divide="ignore"):
            rates.append(1.0 / x - 1.0)
    return _collect(rows, rates, changes, _PERIODIC)


def _collect(
    rows: list[IntArray], rates: list[FloatArray], changes: IntArray, method: str
) -> IRRRoots:
    row = np.concatenate(rows).astype(np.int64)
    rate = np.concatenate(rates)
    representable = rate > -1.0  # 1 + r rounds to 0 within 1e-16 of -100%
    row, rate = row[representable], rate[representable]
    if row.size > 1 and not bool(np.all(row[1:] > row[:-1])):  # several roots in some row
        order = np.lexsort((rate, row))
        row, rate = row[order], rate[order]
    return IRRRoots(
        scenario=as_readonly(row),
        rate=as_readonly(rate),
        n_roots=as_readonly(bincount(row, minlength=changes.size).astype(np.int64)),
        n_sign_changes=as_readonly(changes),
        method=method,
    )


def _unique_or_raise(roots: IRRRoots, *, function: str, single: bool) -> FloatArray:
    def where(bad: IntArray) -> str:
        if single:
            return "The cash flows"
        shown = bad[:_SHOWN].tolist()
        more = f" (and {bad.size - _SHOWN} more)" if bad.size > _SHOWN else ""
        return f"Scenario rows {shown}{more} of the cash flows"

    flat = np.flatnonzero(roots.n_sign_changes == 0)
    if flat.size:
        raise NoSignChangeError(
            f"{where(flat)} given to {function} never change sign: with every flow >= 0 "
            "(or every flow <= 0) no rate makes NPV zero, so there is no rate of return.",
            rows=flat.tolist(),
            n_bad=int(flat.size),
        )
    none = np.flatnonzero(roots.n_roots == 0)
    if none.size:
        extra = "" if function != "xirr" else f" (rates up to e^{U_LIMIT:g} - 1 were searched)"
        raise NoIRRError(
            f"{where(none)} given to {function} change sign, but NPV is not zero at any rate "
            f"above -100%{extra}, so there is no IRR. Use mirr() for a rate of return that "
            "always exists.",
            rows=none.tolist(),
            n_bad=int(none.size),
        )
    many = np.flatnonzero(roots.n_roots > 1)
    if many.size:
        first = int(many[0])
        shown = ", ".join(f"{r:.6g}" for r in roots.roots(first).tolist())
        label = "they have" if single else f"row {first} has"
        raise MultipleIRRError(
            f"{where(many)} given to {function} have several IRRs ({label} "
            f"{int(roots.n_roots[first])}: {shown}); NPV is zero at each, so no one of them "
            f"is the IRR. Call {function}_roots() for all of them, or use mirr().",
            rows=many.tolist(),
            n_bad=int(many.size),
            n_roots=roots.n_roots[many].tolist(),
        )
    return np.asarray(roots.rate, dtype=np.float64)


def irr_roots(cashflows: npt.ArrayLike) -> IRRRoots:
    r"""Every internal rate of return of each scenario, however many there are.

    Parameters
    ----------
    cashflows : array_like of float, shape (n,) or (s, n)
        Periodic net cash flows, n >= 2, one row per scenario.

    Returns
    -------
    IRRRoots
        One row per (scenario, root), with the number of roots and of sign
        changes per scenario.

    Raises
    ------
    InputError
        For non-finite flows (naming the scenario rows and cells) or fewer
        than two periods.

    Notes
    -----
    A root is a rate ``r > -1`` with :math:`\sum_t c_t (1 + r)^{-t} = 0`,
    i.e. a positive root of :math:`f(x) = \sum_t c_t x^t`, ``x = 1 / (1 + r)``
    (the t = 0 convention does not move the roots). Descartes' rule of signs
    bounds the number of positive roots by the sign changes of the flows, so
    a conventional plan (outflows, then inflows) has exactly one. Such rows
    are solved by a Newton iteration in ``u = log x`` on ``f(x) / x^j``
    (``j`` the period of the sign change), which is strictly monotone,
    safeguarded by bisection inside Cauchy's root bounds. Rows with several
    sign changes get every real positive eigenvalue of the companion matrix
    (``numpy.linalg.eigvals``, batched per degree): an eigenvalue counts as
    real when its imaginary part is below 1e-6 of its modulus and the
    polished root leaves a residual below 1e-8 of the sum of the terms. A
    root within float precision of -100% (``1 + r`` rounds to 0) cannot be
    represented and is not reported.

    References
    ----------
    .. [1] Descartes' rule of signs; see Wang, X. (2004). "A simple proof of
       Descartes's rule of signs". American Mathematical Monthly 111(6), 525-526.
    .. [2] Press, W. H. et al. (2007). Numerical Recipes, 3rd ed., section 9.4
       (Newton-Raphson with bisection, ``rtsafe``).

    Examples
    --------
    A loyalty programme costs 100 now, earns 230 next year and needs 132 of
    refunds the year after: two rates give NPV zero, 10% and 20%.

    >>> irr_roots([-100.0, 230.0, -132.0]).rate.round(6).tolist()
    [0.1, 0.2]
    """
    flows = read_flows(cashflows, function="irr_roots", min_periods=2)
    return periodic_roots(flows.values)


@overload
def irr(cashflows: Sequence[float]) -> float: ...


@overload
def irr(cashflows: npt.ArrayLike) -> float | FloatArray: ...


def irr(cashflows: npt.ArrayLike) -> float | FloatArray:
    r"""Return the internal rate of return of a cash-flow series, or of each scenario row.

    Parameters
    ----------
    cashflows : array_like of float, shape (n,) or (s, n)
        Periodic net cash flows, n >= 2, one row per scenario.

    Returns
    -------
    float or ndarray of float64
        The rate ``r > -1`` with NPV zero: a float for one series, shape (s,)
        for scenarios.

    Raises
    ------
    NoSignChangeError
        If the flows of some row never change sign (naming the rows).
    NoIRRError
        If they change sign but NPV is zero at no rate above -100%.
    MultipleIRRError
        If some row has several roots; the message says how many and lists
        them (:func:`irr_roots` returns them all). IRR never picks one.
    InputError
        For non-finite flows or fewer than two periods.

    Notes
    -----
    Solves :math:`\sum_t c_t (1 + r)^{-t} = 0` as :func:`irr_roots` does; the
    result does not depend on the t = 0 convention. Rows with one sign
    change (the usual plan: invest, then earn) always have exactly one root.

    References
    ----------
    .. [1] Brealey, R. A., Myers, S. C. and Allen, F. (2020). Principles of
       Corporate Finance, 13th ed., McGraw-Hill, section 5.3 (pitfalls of IRR).

    Examples
    --------
    The CRM licence of :func:`npv`: 50,000 now, 20,000 a year for three years.

    >>> round(irr([-50_000, 20_000, 20_000, 20_000]), 4)
    0.0970
    >>> irr([-100.0, 230.0, -132.0])
    Traceback (most recent call last):
    ...
    crmkit.errors.MultipleIRRError: The cash flows given to irr have several IRRs (they have 2: ...
    """
    fn = "irr"
    flows = read_flows(cashflows, function=fn, min_periods=2)
    return _out(
        _unique_or_raise(periodic_roots(flows.values), function=fn, single=flows.single),
        flows.single,
    )


@overload
def mirr(cashflows: Sequence[float], *, finance_rate: float, reinvest_rate: float) -> float: ...


@overload
def mirr(
    cashflows: npt.ArrayLike, *, finance_rate: npt.ArrayLike, reinvest_rate: npt.ArrayLike
) -> float | FloatArray: ...


def mirr(
    cashflows: npt.ArrayLike, *, finance_rate: npt.ArrayLike, reinvest_rate: npt.ArrayLike
) -> float | FloatArray:
    r"""Return the modified IRR: outflows financed, inflows reinvested at given rates.

    Parameters
    ----------
    cashflows : array_like of float, shape (n,) or (s, n)
        Periodic net cash flows, n >= 2, one row per scenario; each row needs
        at least one outflow and one inflow.
    finance_rate : float or array_like of float, shape (s,)
        Rate paid on the money invested (discounts the outflows to today), > -1.
    reinvest_rate : float or array_like of float, shape (s,)
        Rate earned on the inflows (compounds them to the last period), > -1.

    Returns
    -------
    float or ndarray of float64
        A float for one series, shape (s,) for scenarios.

    Raises
    ------
    NoSignChangeError
        If some row has no outflow or no inflow.
    InputError
        For non-finite flows, fewer than two periods or a rate <= -1.

    Notes
    -----
    With ``n`` flows, :math:`\mathrm{FV}^+` the inflows compounded to period
    ``n - 1`` at the reinvestment rate and :math:`\mathrm{PV}^-` the outflows
    discounted to period 0 at the finance rate,

    .. math::

        \mathrm{MIRR} = \left(\frac{\mathrm{FV}^+}{|\mathrm{PV}^-|}\right)^{1/(n-1)} - 1,

    as numpy-financial's ``mirr`` and spreadsheets' ``MIRR()``. Unlike the
    IRR it always exists (given an outflow and an inflow) and is unique.

    References
    ----------
    .. [1] Brealey, R. A., Myers, S. C. and Allen, F. (2020). Principles of
       Corporate Finance, 13th ed., McGraw-Hill, section 5.3.

    Examples
    --------
    The loyalty programme with two IRRs has one MIRR:

    >>> round(mirr([-100.0, 230.0, -132.0], finance_rate=0.1, reinvest_rate=0.12), 4)
    0.11
    """
    fn = "mirr"
    flows = read_flows(cashflows, function=fn, min_periods=2)
    s = flows.n_scenarios
    finance = read_rates(finance_rate, n_scenarios=s, function=fn, field="finance_rate")
    reinvest = read_rates(reinvest_rate, n_scenarios=s, function=fn, field="reinvest_rate")
    if flows.single and (finance.size > 1 or reinvest.size > 1):
        # one series, several rates: one MIRR per rate pair
        k = max(finance.size, reinvest.size)
        values = np.broadcast_to(flows.values, (k, flows.n_periods))
        flows = Flows(values=np.ascontiguousarray(values), single=False)
    values = flows.values
    has_in = (values > 0).any(axis=1)
    has_out = (values < 0).any(axis=1)
    bad = np.flatnonzero(~(has_in & has_out))
    if bad.size:
        raise NoSignChangeError(
            f"Scenario rows {bad[:_SHOWN].tolist()} of the cash flows given to {fn} have no "
            "outflow or no inflow: MIRR needs at least one of each.",
            rows=bad.tolist(),
            n_bad=int(bad.size),
        )
    n = values.shape[1]
    t = np.arange(n, dtype=np.float64)
    fin = np.broadcast_to(finance, (values.shape[0],))
    rein = np.broadcast_to(reinvest, (values.shape[0],))
    pv_out = (np.minimum(values, 0.0) * np.exp(-np.log1p(fin)[:, None] * t)).sum(axis=1)
    fv_in = (np.maximum(values, 0.0) * np.exp(np.log1p(rein)[:, None] * (n - 1 - t))).sum(axis=1)
    out = np.exp(np.log(fv_in / -pv_out) / (n - 1)) - 1.0
    return _out(out, flows.single)


def _dated(cashflows: npt.ArrayLike, dates: object, function: str) -> tuple[Flows, FloatArray]:
    flows = read_flows(cashflows, function=function, min_periods=1)
    tau = read_dates(dates, n_periods=flows.n_periods, function=function)
    return flows, tau


@overload
def xnpv(rate: float, cashflows: Sequence[float], dates: object) -> float: ...


@overload
def xnpv(rate: npt.ArrayLike, cashflows: npt.ArrayLike, dates: object) -> float | FloatArray: ...


def xnpv(rate: npt.ArrayLike, cashflows: npt.ArrayLike, dates: object) -> float | FloatArray:
    r"""Net present value of cash flows on real dates (act/365), as spreadsheets' ``XNPV()``.

    Parameters
    ----------
    rate : float or array_like of float, shape (s,) or (k,)
        Annual discount rate, > -1; one, one per scenario row, or several
        for a single series.
    cashflows : array_like of float, shape (n,) or (s, n)
        The flows, one row per scenario, one column per date.
    dates : array_like of date-like, shape (n,)
        The date of each column, shared by every scenario, never going
        backwards (equal dates are allowed). The first date is today: its
        flows are not discounted.

    Returns
    -------
    float or ndarray of float64
        A float for one series and one rate; otherwise one per row or rate.

    Raises
    ------
    InputError
        For non-finite flows, a rate <= -1, unparseable dates, a date count
        different from the columns, or a date before the one preceding it
        (named by position).

    Notes
    -----
    .. math::

        \mathrm{XNPV}(r) = \sum_i \frac{c_i}{(1 + r)^{(d_i - d_0) / 365}}

    with actual days between the dates; with dates exactly 365 days apart it
    equals :func:`npv` with ``first_period=0``.

    References
    ----------
    .. [1] Microsoft. "XNPV function", Excel documentation.

    Examples
    --------
    The licence is paid on signature and the savings arrive on uneven dates:

    >>> round(
    ...     xnpv(
    ...         0.08,
    ...         [-50_000, 20_000, 20_000, 20_000],
    ...         ["2025-01-15", "2025-12-31", "2026-12-31", "2027-12-31"],
    ...     ),
    ...     2,
    ... )
    1705.21
    """
    fn = "xnpv"
    flows, tau = _dated(cashflows, dates, fn)
    rates = read_rates(rate, n_scenarios=flows.n_scenarios, function=fn)
    log_growth = np.log1p(rates)
    values = flows.values
    if rates.size == 1:
        out: FloatArray = values @ np.exp(-tau * log_growth[0])
    elif values.shape[0] == 1:
        out = np.exp(-log_growth[:, None] * tau[None, :]) @ values[0]
    else:
        out = (values * np.exp(-log_growth[:, None] * tau[None, :])).sum(axis=1)
    return _out(out, flows.single and np.ndim(rate) == 0)


def dated_roots(values: FloatArray, tau: FloatArray) -> IRRRoots:
    merged, tau_m = merge_same_dates(values, tau)
    changes = sign_changes(np.ascontiguousarray(merged.T))
    one = np.flatnonzero(changes == 1)
    many = np.flatnonzero(changes > 1)
    rows = [np.zeros(0, dtype=np.int64)]
    rates = [np.zeros(0)]
    if one.size:
        u, inside = unique_exp_sum_root(merged[one], tau_m)
        rows.append(one[inside])
        rates.append(np.expm1(-u[inside]))
    if many.size:
        at, u_many = exp_sum_roots(merged[many], tau_m)
        rows.append(many[at])
        rates.append(np.expm1(-u_many))
    return _collect(rows, rates, changes, _DATED)


def xirr_roots(cashflows: npt.ArrayLike, dates: object) -> IRRRoots:
    r"""Every annual rate making the XNPV of each scenario zero (act/365).

    Parameters
    ----------
    cashflows : array_like of float, shape (n,) or (s, n)
        The flows, one row per scenario, one column per date.
    dates : array_like of date-like, shape (n,)
        As for :func:`xnpv`.

    Returns
    -------
    IRRRoots
        One row per (scenario, root).

    Raises
    ------
    InputError
        As :func:`xnpv`.

    Notes
    -----
    Flows on the same date are summed first. With ``u = -log(1 + r)`` the
    XNPV is the exponential sum :math:`\sum_i c_i e^{u \tau_i}`; Descartes'
    rule holds for real exponents, so one sign change means one root, found
    by a safeguarded Newton iteration on the monotone sum scaled by
    :math:`e^{-u \tau_j}`. Rows with several sign changes are scanned on a
    grid of ``u`` (a step of about 0.0012 in ``log(1 + r)`` for rates between
    -99% and +1000%, 0.1 beyond, up to ``|u| = 60``) and each sign change is
    refined by bisection: a root where the XNPV touches zero without
    crossing it, or two roots closer than one step, are not found.

    References
    ----------
    .. [1] Jameson, G. J. O. (2006). "Counting zeros of generalised
       polynomials: Descartes' rule of signs and Laguerre's extensions".
       The Mathematical Gazette 90(518), 223-234.

    Examples
    --------
    >>> xirr_roots([-100.0, 110.0], ["2024-01-01", "2024-12-31"]).rate.round(4).tolist()
    [0.1]
    """
    flows, tau = _dated(cashflows, dates, "xirr_roots")
    return dated_roots(flows.values, tau)


@overload
def xirr(cashflows: Sequence[float], dates: object) -> float: ...


@overload
def xirr(cashflows: npt.ArrayLike, dates: object) -> float | FloatArray: ...


def xirr(cashflows: npt.ArrayLike, dates: object) -> float | FloatArray:
    r"""Annual internal rate of return of cash flows on real dates, as spreadsheets' ``XIRR()``.

    Parameters
    ----------
    cashflows : array_like of float, shape (n,) or (s, n)
        The flows, one row per scenario, one column per date.
    dates : array_like of date-like, shape (n,)
        As for :func:`xnpv`.

    Returns
    -------
    float or ndarray of float64
        The rate with XNPV zero: a float for one series, shape (s,) for scenarios.

    Raises
    ------
    NoSignChangeError
        If the flows of some row never change sign.
    NoIRRError
        If they change sign but XNPV is zero at no searched rate.
    MultipleIRRError
        If some row has several roots (listed; :func:`xirr_roots` returns them all).
    InputError
        As :func:`xnpv`.

    Notes
    -----
    Solves :math:`\sum_i c_i (1 + r)^{-(d_i - d_0)/365} = 0` as
    :func:`xirr_roots` does.

    References
    ----------
    .. [1] Microsoft. "XIRR function", Excel documentation.

    Examples
    --------
    >>> round(
    ...     xirr(
    ...         [-50_000, 20_000, 20_000, 20_000],
    ...         ["2025-01-15", "2025-12-31", "2026-12-31", "2027-12-31"],
    ...     ),
    ...     4,
    ... )
    0.0992
    """
    fn = "xirr"
    flows, tau = _dated(cashflows, dates, fn)
    if flows.n_periods < 2:
        raise NoSignChangeError(
            f"The cash flows given to {fn} have a single date, so they cannot change sign.",
            rows=[0],
            n_bad=flows.n_scenarios,
        )
    roots = dated_roots(flows.values, tau)
    return _out(_unique_or_raise(roots, function=fn, single=flows.single), flows.single)

"""Close-date slip: how late (or early) deals close against their expected date."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar, Final

import attrs
import numpy as np
import numpy.typing as npt

from crmkit._input import (
    DEFAULT_YEARS,
    as_readonly,
    check_date_format,
    check_same_length,
    check_valid_years,
)
from crmkit._results import Kind, Result
from crmkit.errors import InputError
from crmkit.funnel._opportunities import optional_times

__all__ = ["SlipDistribution", "fit_slip", "slip_shifts", "window_probabilities"]

FloatArray = npt.NDArray[np.float64]
_US_PER_DAY: Final = 86_400_000_000


@attrs.frozen(kw_only=True, repr=False)
class SlipDistribution(Result):
    """Historical slip of actual against expected close dates, in days.

    Attributes
    ----------
    days : ndarray of float64, shape (n,)
        Sorted slips (actual - expected close, days; positive = late).
    mean, median : float
        Mean and median slip in days.
    share_late : float
        Share of deals that closed after their expected date.
    n_missing : int
        Deals left out because their expected or actual close date is missing.

    Examples
    --------
    >>> fit_slip(["2024-03-01"], ["2024-03-15"]).mean
    14.0
    """

    _table: ClassVar[tuple[str, ...]] = ("days",)
    _kinds: ClassVar[Mapping[str, Kind]] = {
        "days": "number",
        "mean": "number",
        "median": "number",
        "share_late": "share",
        "n_missing": "count",
    }
    days: FloatArray
    mean: float
    median: float
    share_late: float
    n_missing: int = 0


def fit_slip(
    expected_close: object,
    actual_close: object,
    *,
    date_format: str | None = None,
    valid_years: tuple[int, int] = DEFAULT_YEARS,
) -> SlipDistribution:
    """Learn the empirical distribution of close-date slips from closed deals.

    Parameters
    ----------
    expected_close : array_like of date-like, shape (n,)
        Close date expected for each closed deal (e.g. at creation).
    actual_close : array_like of date-like, shape (n,)
        When it actually closed. A deal with either date missing (None, NaN,
        NaT, empty text) is left out and counted in ``n_missing``.
    date_format : str, optional
        A strftime pattern for dates that are not ISO-8601 (``"%Y%m%d"``, ...).
    valid_years : tuple of (int, int), default (1900, 2200)
        Years a date may fall in (both inclusive); a date outside is refused
        as a likely misread.

    Returns
    -------
    SlipDistribution

    Raises
    ------
    InputError
        If the columns are empty or differ in length, a date is unreadable or
        out of the window, or no deal has both dates.

    Notes
    -----
    The slip of deal *i* is ``actual_i - expected_i`` in days (positive: late);
    the distribution is the empirical one of those slips.

    Examples
    --------
    Three closed deals, one without an expected date on record:

    >>> s = fit_slip(["2024-01-10", "2024-02-01", None], ["2024-01-20", "2024-01-31", "2024-03-01"])
    >>> s.days.tolist(), s.share_late, s.n_missing
    ([-1.0, 10.0], 0.5, 1)
    """
    fn = "fit_slip"
    fmt = check_date_format(date_format, function=fn)
    years = check_valid_years(valid_years, function=fn)
    exp = optional_times(
        expected_close, field="expected_close", function=fn, date_format=fmt, valid_years=years
    )
    act = optional_times(
        actual_close, field="actual_close", function=fn, date_format=fmt, valid_years=years
    )
    n = check_same_length({"expected_close": exp.size, "actual_close": act.size}, function=fn)
    if n == 0:
        raise InputError(
            f"{fn} needs closed deals to learn from; got empty columns.",
            field="expected_close",
            hint="Pass the expected and actual close dates of deals that have closed.",
        )
    both = ~np.isnat(exp) & ~np.isnat(act)
    if not both.any():
        raise InputError(
            f"{fn} needs at least one deal with both dates; all {n} have one missing.",
            field="actual_close",
        )
    days = np.sort((act[both] - exp[both]).astype(np.int64) / _US_PER_DAY)
    return SlipDistribution(
        days=as_readonly(days),
        mean=float(days.mean()),
        median=float(np.median(days)),
        share_late=float((days > 0).mean()),
        n_missing=int(n - both.sum()),
    )


def slip_shifts(slip: SlipDistribution) -> npt.NDArray[np.int64]:
    """Return the slips as sorted int64 microsecond shifts (as the Monte Carlo draws them)."""
    return (slip.days * _US_PER_DAY).astype(np.int64)


def window_probabilities(
    expected: npt.NDArray[np.datetime64],
    shifts: npt.NDArray[np.int64],
    as_of: np.datetime64,
    start: npt.NDArray[np.datetime64],
    end: npt.NDArray[np.datetime64],
) -> FloatArray:
    """Return P(close in ``[start, end)``) per (deal, window) for ``max(expected + slip, as_of)``.

    With the slips drawn uniformly from the empirical distribution, the close
    falls before a bound ``B`` when ``as_of < B`` and ``expected + slip < B``, so
    the count below ``B`` is one ``searchsorted`` on the sorted shifts.
    """
    e = expected.astype("datetime64[us]").astype(np.int64)
    ref = np.int64(as_of.astype("datetime64[us]").astype(np.int64))

    def below(bound: npt.NDArray[np.datetime64]) -> npt.NDArray[np.int64]:
        b = bound.astype("datetime64[us]").astype(np.int64)
        count = np.searchsorted(shifts, b - e, side="left").astype(np.int64)
        return np.where(ref < b, count, 0)

    return (below(end) - below(start)) / shifts.size

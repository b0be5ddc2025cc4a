"""Backtests: what each probability source would have forecast from past pipeline snapshots."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, Final, Literal

import attrs
import numpy as np
import numpy.typing as npt

from crmkit._input import (
    DEFAULT_YEARS,
    as_ids,
    as_readonly,
    check_date_format,
    check_same_length,
    check_valid_years,
    scalar_datetime,
)
from crmkit._params import choice, flag, instance, integer, names, number
from crmkit._results import Kind, Result
from crmkit.errors import InputError
from crmkit.funnel._calibration import fit_stage_rates
from crmkit.funnel._distribution import MAX_LATTICE_POINTS
from crmkit.funnel._forecast import check_calendar, probabilities_of
from crmkit.funnel._history import StageHistory, stage_at
from crmkit.funnel._lattice import lattice_sum
from crmkit.funnel._opportunities import Opportunities, deal_amounts, optional_times
from crmkit.funnel._state import PipelineState, cut_history
from crmkit.periods import DEFAULT_CALENDAR, Calendar, Frequency, FrequencyLike, Horizon

__all__ = ["Backtest", "backtest_forecast", "pipeline_snapshot", "truncate_history"]

FloatArray = npt.NDArray[np.float64]
Method = Literal["configured", "calibrated", "calibrated_by_group"]
_METHODS: Final = ("configured", "calibrated", "calibrated_by_group")
_US_PER_DAY: Final = 86_400_000_000
MAX_DAYS: Final = 36_525
"""Longest horizon or maturity in days (a hundred years)."""


def _history(value: object, *, function: str) -> StageHistory:
    return instance(value, StageHistory, name="history", function=function, what="a StageHistory")


@attrs.frozen(kw_only=True)
class _Columns:
    """Per-opportunity values given beside a history: ids, amounts, expected close dates."""

    ids: npt.NDArray[Any]
    amounts: FloatArray
    closes: npt.NDArray[np.datetime64]


def _columns(
    history: StageHistory,
    opportunity: object,
    amount: object,
    expected_close: object,
    *,
    date_format: str | None,
    valid_years: tuple[int, int],
    function: str,
) -> _Columns:
    """Validate the three per-opportunity columns and check every deal of *history* has them."""
    fn = function
    ids = as_ids(opportunity, field="opportunity", function=fn)
    amounts = deal_amounts(amount, field="amount", function=fn)
    closes = optional_times(
        expected_close,
        field="expected_close",
        function=fn,
        date_format=date_format,
        valid_years=valid_years,
    )
    check_same_length(
        {"opportunity": ids.size, "amount": amounts.size, "expected_close": closes.size},
        function=fn,
    )
    if (
        history.n_opportunities
        and ids.size
        and (ids.dtype.kind == "U") != (history.opportunity.dtype.kind == "U")
    ):
        raise InputError(
            f"The 'opportunity' column of {fn} must hold ids of the history's kind "
            f"({'strings' if history.opportunity.dtype.kind == 'U' else 'ints'}).",
            field="opportunity",
            hint="1 and '1' are different opportunities; cast one side.",
        )
    _align(history, ids, field="opportunity", function=fn)
    return _Columns(ids=ids, amounts=amounts, closes=closes)


def truncate_history(history: StageHistory, as_of: object) -> StageHistory:
    """Return the history as it was known at *as_of* (rows entered strictly before it).

    Parameters
    ----------
    history : StageHistory
        The full history.
    as_of : date-like
        The cut-off.

    Returns
    -------
    StageHistory
        Opportunities with no row before *as_of* are dropped.

    Examples
    --------
    >>> from crmkit.funnel import DEFAULT_PROCESS
    >>> h = StageHistory.from_arrays(
    ...     process=DEFAULT_PROCESS,
    ...     opportunity=[1, 1, 2],
    ...     stage=["plan", "won", "plan"],
    ...     entered=["2024-01-01", "2024-03-01", "2024-04-01"],
    ... )
    >>> truncate_history(h, "2024-02-01").outcome.tolist()
    [2]
    """
    fn = "truncate_history"
    history = _history(history, function=fn)
    cut = scalar_datetime(as_of, field="as_of", function=fn)
    return cut_history(history, cut)


def _align(
    history: StageHistory, opportunity: object, *, field: str, function: str
) -> npt.NDArray[np.intp]:
    ids = np.asarray(opportunity)
    order = np.argsort(ids, kind="stable")
    sorted_ids = ids[order]
    idx = np.clip(np.searchsorted(sorted_ids, history.opportunity), 0, max(ids.size - 1, 0))
    found = sorted_ids[idx] == history.opportunity if ids.size else np.zeros(0, dtype=bool)
    if history.n_opportunities and (not ids.size or not found.all()):
        missing = np.flatnonzero(~found) if ids.size else np.arange(history.n_opportunities)
        raise InputError.for_rows(
            field,
            "must be given for every opportunity of the history",
            positions=missing[:5].tolist(),
            values=[history.opportunity[m] for m in missing[:5]],
            n_bad=int(missing.size),
            function=function,
            kind="column",
            hint="The values shown are history opportunity ids without a row.",
        )
    return order[idx]


def pipeline_snapshot(
    history: StageHistory,
    *,
    as_of: object,
    opportunity: object | None = None,
    amount: object | None = None,
    expected_close: object | None = None,
    date_format: str | None = None,
    valid_years: tuple[int, int] = DEFAULT_YEARS,
) -> Opportunities:
    """Reconstruct the open pipeline at *as_of* from stage histories.

    Parameters
    ----------
    history : StageHistory
        Full stage histories (later rows are ignored).
    as_of : date-like
        Snapshot time.
    opportunity : array_like, shape (n,), optional
        Opportunity ids for the two columns below (any order, a superset is fine).
    amount : array_like of float, shape (n,), optional
        Deal value.
    expected_close : array_like of date-like, shape (n,), optional
        Close date expected at the time (e.g. at creation); a missing one
        (None, NaN, NaT, empty text) stays unknown (NaT). Leave the three
        out when the history carries ``amount`` and ``close_date`` columns:
        the values in force at *as_of* are used.
    date_format : str, optional
        A strftime pattern for *expected_close* (and a text *as_of*) when they
        are not ISO-8601.
    valid_years : tuple of (int, int), default (1900, 2200)
        Years an expected close date may fall in (both inclusive).

    Returns
    -------
    Opportunities
        Deals created before *as_of* and still open then, at their stage then,
        with ``close_date = max(expected_close, as_of)`` (an open deal cannot
        close in the past) and the history's dimensions; empty when nothing
        was open (an empty history included).

    Raises
    ------
    InputError
        If an opportunity of the history has no amount or expected close date,
        the columns are left out and the history does not carry them, or a
        column is unreadable (ids of another kind than the history's included).

    Examples
    --------
    >>> from crmkit.funnel import DEFAULT_PROCESS
    >>> h = StageHistory.from_arrays(
    ...     process=DEFAULT_PROCESS,
    ...     opportunity=[1, 1, 2, 2],
    ...     stage=["plan", "won", "qualify", "lost"],
    ...     entered=["2024-01-01", "2024-03-01", "2024-01-05", "2024-01-20"],
    ... )
    >>> snap = pipeline_snapshot(
    ...     h,
    ...     as_of="2024-02-01",
    ...     opportunity=[1, 2],
    ...     amount=[5e3, 2e3],
    ...     expected_close=["2024-02-15", "2024-02-01"],
    ... )
    >>> snap.id.tolist(), snap.stage_names.tolist()
    ([1], ['plan'])
    """
    fn = "pipeline_snapshot"
    history = _history(history, function=fn)
    fmt = check_date_format(date_format, function=fn)
    years = check_valid_years(valid_years, function=fn)
    cut = scalar_datetime(as_of, field="as_of", function=fn, date_format=fmt)
    if opportunity is None and amount is None and expected_close is None:
        if history.amount is None or history.close_date is None:
            raise InputError.for_parameter(
                "opportunity",
                "given (with amount and expected_close) when the history has no amount "
                "and close_date columns",
                None,
                function=fn,
            )
        return _logged_snapshot(history, cut)
    if opportunity is None or amount is None or expected_close is None:
        raise InputError.for_parameter(
            "opportunity",
            "given together with amount and expected_close (or all three left out)",
            None,
            function=fn,
        )
    cols = _columns(
        history,
        opportunity,
        amount,
        expected_close,
        date_format=fmt,
        valid_years=years,
        function=fn,
    )
    return _snapshot_of(history, cut, cols, function=fn)


def _logged_snapshot(history: StageHistory, cut: np.datetime64) -> Opportunities:
    """Return the open pipeline at *cut* from a log that carries amounts and close dates."""
    now = PipelineState.from_history(history, as_of=cut).snapshot()
    live = now.subset(now.is_open)
    close = np.where(live.close_date >= cut, live.close_date, cut)
    return attrs.evolve(live, close_date=as_readonly(close.astype("datetime64[us]")))


def _snapshot_of(
    history: StageHistory, cut: np.datetime64, cols: _Columns, *, function: str
) -> Opportunities:
    """Return the open pipeline at *cut* with per-opportunity values (already checked)."""
    ids, amounts, closes = cols.ids, cols.amounts, cols.closes
    if not history.n_opportunities:
        return Opportunities.from_arrays(
            process=history.process,
            id=history.opportunity,
            amount=np.zeros(0),
            stage=np.zeros(0, dtype=np.int64),
            dimensions=dict(history.dimensions),
        )
    pos = _align(history, ids, field="opportunity", function=function)
    state = stage_at(history, cut - np.timedelta64(1, "us"))
    is_open = (state >= 0) & (state < history.process.won_code)
    close = closes[pos][is_open]
    close = np.where(np.isnat(close) | (close >= cut), close, cut)
    return Opportunities.from_arrays(
        process=history.process,
        id=history.opportunity[is_open],
        amount=amounts[pos][is_open],
        stage=state[is_open],
        close_date=close,
        created=history.entered[history.offsets[:-1]][is_open],
        dimensions={k: v[is_open] for k, v in history.dimensions.items()},
    )


@attrs.frozen(kw_only=True, repr=False)
class Backtest(Result):
    """Past forecasts next to what actually closed, per snapshot and method.

    Attributes
    ----------
    snapshot : ndarray of datetime64[us], shape (r,)
        When the pipeline was looked at.
    method : ndarray of str, shape (r,)
        ``configured``, ``calibrated`` or ``calibrated_by_group``.
    group : ndarray of str, shape (r,)
        Value of the ``by`` dimension (``"all"`` without ``by``).
    n_open : ndarray of int64, shape (r,)
        Open deals in the snapshot expected to close within the horizon.
    forecast, p10, p90 : ndarray of float64, shape (r,)
        Weighted forecast for the horizon and its 10 % / 90 % quantiles (lattice).
    actual : ndarray of float64, shape (r,)
        Amount of the snapshot's open deals actually won within the horizon
        (including deals that slipped in from a later expected date).
    error : ndarray of float64, shape (r,)
        ``forecast - actual``.
    summary_method, summary_group : ndarray of str, shape (m,)
        Method and group of each entry of the summary arrays below.
    mape, bias, coverage : ndarray of float64, shape (m,)
        Mean absolute percentage error over snapshots with a positive actual,
        relative bias ``Σ (forecast - actual) / Σ actual`` and the share of
        snapshots whose actual fell inside [P10, P90].
    horizon_days : int or None
        Forecast horizon after each snapshot (None for a calendar-period backtest).
    window_start, window_end : ndarray of datetime64[us], shape (r,)
        The forecast window of each row: ``[snapshot, snapshot + horizon_days)``,
        or the calendar period after the snapshot (from the snapshot to the end
        of its own period with ``include_current``).
    period : str or None
        The calendar period of a calendar-period backtest (``"month"``, ...).
    calibrate_by : str or None
        The dimension ``calibrated_by_group`` fitted its per-group rates on.

    Examples
    --------
    >>> from crmkit.funnel import DEFAULT_PROCESS
    >>> h = StageHistory.from_arrays(
    ...     process=DEFAULT_PROCESS,
    ...     opportunity=[1, 1],
    ...     stage=["close", "won"],
    ...     entered=["2024-01-01", "2024-01-20"],
    ... )
    >>> bt = backtest_forecast(
    ...     h,
    ...     opportunity=[1],
    ...     amount=[1e3],
    ...     expected_close=["2024-01-25"],
    ...     snapshots=["2024-01-10"],
    ...     horizon_days=30,
    ...     methods=("configured",),
    ... )
    >>> bt.forecast.tolist(), bt.actual.tolist()
    ([800.0], [1000.0])
    """

    _table: ClassVar[tuple[str, ...]] = (
        "snapshot",
        "window_start",
        "window_end",
        "method",
        "group",
        "n_open",
        "forecast",
        "p10",
        "p90",
        "actual",
        "error",
    )
    _kinds: ClassVar[Mapping[str, Kind]] = {
        "forecast": "money",
        "p10": "money",
        "p90": "money",
        "actual": "money",
        "error": "money",
        "mape": "share",
        "bias": "share",
        "coverage": "share",
    }
    _plot: ClassVar[str] = "backtest_chart"
    snapshot: npt.NDArray[np.datetime64]
    window_start: npt.NDArray[np.datetime64]
    window_end: npt.NDArray[np.datetime64]
    method: npt.NDArray[np.str_]
    group: npt.NDArray[np.str_]
    n_open: npt.NDArray[np.int64]
    forecast: FloatArray
    p10: FloatArray
    p90: FloatArray
    actual: FloatArray
    error: FloatArray
    summary_method: npt.NDArray[np.str_]
    summary_group: npt.NDArray[np.str_]
    mape: FloatArray
    bias: FloatArray
    coverage: FloatArray
    horizon_days: int | None
    calibrate_by: str | None = None
    period: str | None = None

    def best_method(self) -> str:
        """Return the method with the lowest MAPE, averaged over groups (ties: the first).

        Groups whose MAPE is undefined (NaN) are left out of a method's average.

        Returns
        -------
        str

        Raises
        ------
        InputError
            If no method has a defined MAPE.

        Examples
        --------
        >>> from crmkit.datasets import simulate_pipeline
        >>> sim = simulate_pipeline(1500, "2022-01-01", "2024-07-01", seed=1)
        >>> bt = backtest_forecast(
        ...     sim.history,
        ...     opportunity=sim.opportunities.id,
        ...     amount=sim.opportunities.amount,
        ...     expected_close=sim.deals["expected_close"],
        ...     snapshots=["2023-07-01", "2023-10-01"],
        ...     horizon_days=90,
        ...     methods=("configured", "calibrated"),
        ... )
        >>> bt.best_method() in {"configured", "calibrated"}
        True
        """
        methods = list(dict.fromkeys(self.summary_method.tolist()))
        means = []
        for m in methods:
            mape = self.mape[self.summary_method == m]
            defined = mape[~np.isnan(mape)]
            means.append(float(defined.mean()) if defined.size else np.inf)
        if not np.isfinite(means).any():
            raise InputError(
                "Backtest.best_method needs a MAPE to compare; no snapshot of any method "
                "had a positive actual.",
                field="mape",
                hint="Replay more (or later) snapshots so that some deals were won in a window.",
            )
        return str(methods[int(np.argmin(means))])


def _check_group_calibration(
    history: StageHistory,
    methods: tuple[str, ...],
    calibrate_by: str | None,
    *,
    function: str,
) -> None:
    wanted = "calibrated_by_group" in methods
    if wanted and calibrate_by is None:
        raise InputError.for_parameter(
            "calibrate_by",
            "a dimension name when methods include 'calibrated_by_group'",
            None,
            function=function,
        )
    if not wanted and calibrate_by is not None:
        raise InputError.for_parameter(
            "calibrate_by",
            "None unless methods include 'calibrated_by_group'",
            calibrate_by,
            function=function,
        )
    if calibrate_by is not None and calibrate_by not in history.dimensions:
        raise InputError.for_parameter(
            "calibrate_by",
            f"a dimension of the history ({list(history.dimensions)})",
            calibrate_by,
            function=function,
        )


def backtest_forecast(
    history: StageHistory,
    *,
    snapshots: Sequence[object],
    horizon_days: int | None = None,
    period: FrequencyLike | None = None,
    include_current: bool = False,
    calendar: Calendar = DEFAULT_CALENDAR,
    opportunity: object | None = None,
    amount: object | None = None,
    expected_close: object | None = None,
    methods: Sequence[Method],
    maturity_days: int = 0,
    by: str | None = None,
    calibrate_by: str | None = None,
    shrinkage: float = 20.0,
    n_points: int = 2**12,
    date_format: str | None = None,
    valid_years: tuple[int, int] = DEFAULT_YEARS,
) -> Backtest:
    """Replay past snapshots: forecast each horizon with each method and compare to actuals.

    Parameters
    ----------
    history : StageHistory
        Full stage histories including outcomes.
    snapshots : sequence of date-like or of (date-like, Opportunities) pairs
        Past times to replay: a date alone reconstructs the pipeline from the
        histories with :func:`pipeline_snapshot`; a pair gives the pipeline as
        it was recorded then (its open deals are used; ids must be in *history*).
    horizon_days : int, optional
        Forecast window ``[snapshot, snapshot + horizon_days)``, 1 to 36,525
        days (``MAX_DAYS``, a century). Give either it or *period*.
    period : Frequency or str, optional
        Calendar-period backtest: the window is the whole period after the
        snapshot's (``"month"``: next month; ``"quarter"``: next quarter), the
        forecast users see, or with *include_current* the rest of the
        snapshot's own period.
    include_current : bool
        With *period*: forecast the rest of the current period instead of the next one.
    calendar : Calendar
        Week start and fiscal year of the periods.
    opportunity, amount, expected_close : array_like, shape (n,), optional
        Per-opportunity deal value and expected close date, as for
        :func:`pipeline_snapshot`; required when a snapshot is a bare date,
        unless the history carries ``amount`` and ``close_date`` columns (a
        field-history log: the values in force at each snapshot are used).
    methods : sequence of {"configured", "calibrated", "calibrated_by_group"}
        Probability sources to compare. ``calibrated`` refits
        :func:`fit_stage_rates` at each snapshot on the history known then;
        ``calibrated_by_group`` refits it per value of *calibrate_by* (each
        group's rates shrunk toward the overall ones), so the backtest shows
        whether per-group calibration beats overall calibration.
    maturity_days : int
        With ``calibrated``, learn only from opportunities created at least this
        many days before the snapshot (a mature cohort), 0 to 36,525.
    by : str, optional
        A dimension of the snapshots (e.g. ``"region"``): forecast and score each
        of its values separately.
    calibrate_by : str, optional
        A dimension of the history and the snapshots to fit the
        ``calibrated_by_group`` rates on; required with that method and only
        allowed with it. It may differ from *by* (e.g. calibrate per team,
        score per region).
    shrinkage : float
        Pseudo-deals pulling each group's rate toward the overall rate, as in
        :func:`fit_stage_rates`, in [0, 1e12].
    n_points : int
        Lattice size for the P10/P90 band, 256 to 2**24 (as :func:`lattice_forecast`).
    date_format : str, optional
        A strftime pattern for *expected_close* and text snapshot dates that
        are not ISO-8601.
    valid_years : tuple of (int, int), default (1900, 2200)
        Years an expected close date may fall in (both inclusive).

    Returns
    -------
    Backtest
        ``mape`` is NaN for a method and group without a snapshot whose actual
        was positive, and ``bias`` where the actuals sum to 0: both divide by
        the actuals. Every other number is finite.

    Raises
    ------
    InputError
        For an empty history, no snapshots (or a bare str for them), an
        unknown or repeated method, a horizon outside its range, both or
        neither of ``horizon_days`` and ``period``, per-opportunity columns
        given in part or unreadable, a calibrated snapshot with no closed deal
        before it, ``calibrated_by_group`` without ``calibrate_by`` (or the
        reverse), a ``calibrate_by`` that is not a dimension of the history or
        of a snapshot, or a shrinkage or ``n_points`` out of range.

    Notes
    -----
    At snapshot *t* with window *H* (``[t, t + horizon_days)``, or the calendar
    period after *t*'s, or ``[t, end of t's period)``): the forecast is ``Σ a_i p_i`` over open
    deals with expected close in *H*; the actual is the amount of the
    snapshot's open deals won in *H*. ``MAPE = mean |f - a| / a`` over
    snapshots with ``a > 0``; ``bias = Σ (f - a) / Σ a``. With
    ``calibrated_by_group`` the deal of group *g* at stage *s* gets
    ``(w_gs + m r_s) / (n_gs + m)`` (wins and reaches of the group, overall
    rate ``r_s``, shrinkage ``m``), fitted on the history known at *t*.

    Examples
    --------
    >>> from crmkit.datasets import simulate_pipeline
    >>> sim = simulate_pipeline(2000, "2022-01-01", "2024-07-01", seed=4)
    >>> bt = backtest_forecast(
    ...     sim.history,
    ...     opportunity=sim.opportunities.id,
    ...     amount=sim.opportunities.amount,
    ...     expected_close=sim.deals["expected_close"],
    ...     snapshots=["2023-04-01", "2023-07-01", "2023-10-01", "2024-01-01"],
    ...     horizon_days=90,
    ...     methods=("configured", "calibrated"),
    ... )
    >>> bt.summary_method.tolist()
    ['configured', 'calibrated']
    >>> bt.forecast.size, bool((bt.p10 <= bt.forecast).all() and (bt.forecast <= bt.p90).all())
    (8, True)
    """
    fn = "backtest_forecast"
    history = _history(history, function=fn)
    if not history.n_opportunities:
        raise InputError(
            f"{fn} needs a history with opportunities to replay; got an empty StageHistory.",
            field="history",
            hint="Pass the full stage histories, outcomes included.",
        )
    if (horizon_days is None) == (period is None):
        raise InputError.for_parameter(
            "horizon_days",
            "given, or else period given (exactly one of the two)",
            horizon_days,
            function=fn,
            hint="horizon_days=90: rolling windows; period='month': the next calendar month.",
        )
    freq = None
    days = 0
    if horizon_days is not None:
        days = integer(horizon_days, name="horizon_days", function=fn, minimum=1, maximum=MAX_DAYS)
    else:
        freq = choice(period, Frequency, name="period", function=fn)
    current = flag(include_current, name="include_current", function=fn)
    calendar = check_calendar(calendar, function=fn)
    maturity = integer(
        maturity_days, name="maturity_days", function=fn, minimum=0, maximum=MAX_DAYS
    )
    points = integer(
        n_points, name="n_points", function=fn, minimum=256, maximum=MAX_LATTICE_POINTS
    )
    meths = names(methods, name="methods", function=fn, what="methods")
    for m in meths:
        choice(m, _METHODS, name="methods", function=fn)
    if by is not None:
        instance(by, str, name="by", function=fn, what="a dimension name (a str)")
    if calibrate_by is not None:
        instance(calibrate_by, str, name="calibrate_by", function=fn, what="a dimension name")
    m_shrink = number(shrinkage, name="shrinkage", function=fn, low=0.0, high=1e12)
    _check_group_calibration(history, meths, calibrate_by, function=fn)
    fmt = check_date_format(date_format, function=fn)
    years = check_valid_years(valid_years, function=fn)
    if isinstance(snapshots, (str, bytes)) or not isinstance(snapshots, Sequence):
        raise InputError.for_parameter(
            "snapshots",
            "a non-empty sequence of dates or of (date, Opportunities) pairs",
            snapshots if isinstance(snapshots, str) else type(snapshots).__name__,
            function=fn,
            hint="Pass [snapshot] for a single one." if isinstance(snapshots, str) else None,
        )
    if not snapshots:
        raise InputError.for_parameter("snapshots", "at least one date", [], function=fn)
    given = [x is not None for x in (opportunity, amount, expected_close)]
    if any(given) and not all(given):
        raise InputError.for_parameter(
            "opportunity",
            "given together with amount and expected_close (or all three left out)",
            None if opportunity is None else "given",
            function=fn,
        )
    per_deal = None
    if all(given):
        per_deal = _columns(
            history,
            opportunity,
            amount,
            expected_close,
            date_format=fmt,
            valid_years=years,
            function=fn,
        )
    won_code = history.process.won_code
    won_time = np.where(
        history.outcome == won_code, history.entered[history.last], np.datetime64("NaT", "us")
    )
    horizon = np.timedelta64(days * _US_PER_DAY, "us")
    rows: dict[str, list[Any]] = {k: [] for k in Backtest._table}  # noqa: SLF001  (same module)
    for raw in snapshots:
        if isinstance(raw, tuple) and len(raw) == 2 and isinstance(raw[1], Opportunities):
            t = scalar_datetime(raw[0], field="snapshots", function=fn, date_format=fmt)
            snap = raw[1].subset(raw[1].is_open)
            if snap.process != history.process:
                raise InputError.for_parameter(
                    "snapshots",
                    "pipelines of the history's process",
                    "another process",
                    function=fn,
                )
            if snap.n_rows and (snap.id.dtype.kind == "U") != (
                history.opportunity.dtype.kind == "U"
            ):
                raise InputError.for_parameter(
                    "snapshots",
                    "pipelines whose ids are of the history's kind (ints or strings)",
                    str(snap.id.dtype),
                    function=fn,
                )
        elif per_deal is not None:
            t = scalar_datetime(raw, field="snapshots", function=fn, date_format=fmt)
            snap = _snapshot_of(history, t, per_deal, function=fn)
        else:
            if history.amount is None or history.close_date is None:
                raise InputError.for_parameter(
                    "opportunity",
                    "given (with amount and expected_close) to reconstruct a snapshot",
                    None,
                    function=fn,
                    hint="Or pass each snapshot as a (date, Opportunities) pair, or a log "
                    "with amount and close_date columns.",
                )
            t = scalar_datetime(raw, field="snapshots", function=fn, date_format=fmt)
            snap = _logged_snapshot(history, t)
        snap_idx = np.clip(
            np.searchsorted(history.opportunity, snap.id), 0, history.n_opportunities - 1
        )
        unknown = history.opportunity[snap_idx] != snap.id
        if unknown.any():
            pos = np.flatnonzero(unknown)
            raise InputError.for_rows(
                "id",
                "must be an opportunity of the history (to know its outcome)",
                positions=pos[:5].tolist(),
                values=[snap.id[q] for q in pos[:5]],
                n_bad=int(pos.size),
                function=fn,
                kind="snapshot column",
            )
        if np.isnat(snap.close_date).any():
            pos = np.flatnonzero(np.isnat(snap.close_date))
            raise InputError.for_rows(
                "close_date",
                "must be known for every open deal of a snapshot",
                positions=pos[:5].tolist(),
                values=[snap.id[q] for q in pos[:5]],
                n_bad=int(pos.size),
                function=fn,
                kind="snapshot column",
                hint="The values shown are opportunity ids.",
            )
        if freq is None:
            lo_t, hi_t = t, t + horizon
        else:
            window = Horizon.next_periods(t, freq, 1, calendar=calendar, include_current=current)
            lo_t, hi_t = max(window.start, t), window.end
        in_h = (snap.close_date >= lo_t) & (snap.close_date < hi_t)
        wt = won_time[snap_idx]
        won_in_h = ~np.isnat(wt) & (wt >= lo_t) & (wt < hi_t)
        if by is None:
            labels = np.full(snap.n_rows, "all")
        elif by in snap.dimensions:
            labels = snap.dimensions[by].astype(str)
        else:
            raise InputError.for_parameter(
                "by", f"a dimension of the snapshots ({list(snap.dimensions)})", by, function=fn
            )
        if calibrate_by is not None and calibrate_by not in snap.dimensions:
            raise InputError.for_parameter(
                "calibrate_by",
                f"a dimension of the snapshots ({list(snap.dimensions)})",
                calibrate_by,
                function=fn,
            )
        known = truncate_history(history, t) if meths != ("configured",) else history
        created_before = t - np.timedelta64(maturity * _US_PER_DAY, "us")
        for m in meths:
            if m == "configured":
                p = probabilities_of(snap, "configured", function=fn)
            elif m == "calibrated":
                rates = fit_stage_rates(known, created_before=created_before)
                p = rates.probabilities_for(snap)
            else:
                rates = fit_stage_rates(
                    known, created_before=created_before, by=calibrate_by, shrinkage=m_shrink
                )
                p = rates.probabilities_for(snap)
            for label in ["all"] if by is None else np.unique(labels).tolist():
                mine = labels == label
                cell = in_h & mine
                a, pp = snap.amount[cell], p[cell]
                dist = lattice_sum(a, pp, n_points=points)
                actual = float(snap.amount[won_in_h & mine].sum())
                rows["snapshot"].append(t)
                rows["window_start"].append(lo_t)
                rows["window_end"].append(hi_t)
                rows["method"].append(m)
                rows["group"].append(label)
                rows["n_open"].append(int(cell.sum()))
                rows["forecast"].append(float((a * pp).sum()))
                rows["p10"].append(dist.quantile(0.1))
                rows["p90"].append(dist.quantile(0.9))
                rows["actual"].append(actual)
                rows["error"].append(float((a * pp).sum()) - actual)
    cols = {k: np.asarray(v) for k, v in rows.items()}
    mape, bias, coverage = [], [], []
    s_method, s_group = [], []
    for m in meths:
        for label in np.unique(cols["group"].astype(str)).tolist():
            sel = (cols["method"] == m) & (cols["group"] == label)
            f, act = cols["forecast"][sel], cols["actual"][sel]
            pos_a = act > 0
            ape = np.abs(f - act)[pos_a] / act[pos_a]
            mape.append(float(ape.mean()) if pos_a.any() else np.nan)
            bias.append(float((f - act).sum() / act.sum()) if act.sum() > 0 else np.nan)
            inside = (act >= cols["p10"][sel]) & (act <= cols["p90"][sel])
            coverage.append(float(inside.mean()))
            s_method.append(m)
            s_group.append(label)
    return Backtest(
        snapshot=cols["snapshot"].astype("datetime64[us]"),
        window_start=cols["window_start"].astype("datetime64[us]"),
        window_end=cols["window_end"].astype("datetime64[us]"),
        method=cols["method"].astype(str),
        group=cols["group"].astype(str),
        n_open=cols["n_open"].astype(np.int64),
        forecast=cols["forecast"].astype(np.float64),
        p10=cols["p10"].astype(np.float64),
        p90=cols["p90"].astype(np.float64),
        actual=cols["actual"].astype(np.float64),
        error=cols["error"].astype(np.float64),
        summary_method=np.asarray(s_method, dtype=str),
        summary_group=np.asarray(s_group, dtype=str),
        mape=np.asarray(mape),
        bias=np.asarray(bias),
        coverage=np.asarray(coverage),
        horizon_days=horizon_days,
        calibrate_by=calibrate_by,
        period=None if freq is None else freq.value,
    )

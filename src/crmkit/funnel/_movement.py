"""Pipeline movement between two snapshots: what changed since last week, and why."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Final, Literal

import attrs
import numpy as np
import numpy.typing as npt

from crmkit._groups import factorize
from crmkit._params import flag, instance
from crmkit._params import names as dimension_names
from crmkit._reduce import bincount
from crmkit._results import Kind, Result
from crmkit.errors import InputError
from crmkit.funnel._changes import DealChanges, Waterfall
from crmkit.funnel._forecast import probabilities_of
from crmkit.funnel._grouping import PeriodSpec, _horizons, check_period
from crmkit.funnel._opportunities import Opportunities
from crmkit.funnel._state import PipelineState
from crmkit.periods import (
    DEFAULT_CALENDAR,
    Calendar,
    Frequency,
    period_bounds,
    period_keys,
    period_labels,
)

if TYPE_CHECKING:
    from crmkit.funnel._calibration import StageRates

__all__ = ["COMPONENTS", "PipelineMovement", "pipeline_movement"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
_FN: Final = "pipeline_movement"
_US_PER_DAY: Final = 86_400_000_000

COMPONENTS: Final[tuple[str, ...]] = (
    "new",
    "reopened",
    "pulled_in",
    "pushed_in",
    "reassigned_in",
    "amount_change",
    "advanced",
    "regressed",
    "reweighted",
    "pushed_out",
    "pulled_out",
    "reassigned_out",
    "won",
    "lost",
    "removed",
)
"""Movement components in waterfall order (inflows, changes of deals that stay, outflows)."""
_C: Final = {name: i for i, name in enumerate(COMPONENTS)}


@attrs.frozen(kw_only=True, repr=False)
class PipelineMovement(Result):
    """Start pipeline + every movement = end pipeline, per period and dimension cell.

    Attributes
    ----------
    period : ndarray of str, shape (k,)
        Close period (or horizon) label of each cell.
    start_date, end_date : ndarray of datetime64[us], shape (k,)
        Bounds of the period.
    groups : mapping of str to ndarray, shape (k,) each
        Dimension values of each cell.
    start, end : ndarray of float64, shape (k,)
        Open pipeline (Σ amount of open deals closing in the cell) in the
        first and the second snapshot.
    weighted_start, weighted_end : ndarray of float64, shape (k,)
        The same weighted by each snapshot's win probabilities.
    n_start, n_end : ndarray of int64, shape (k,)
        Open deals in the cell in each snapshot.
    components : tuple of str
        :data:`COMPONENTS`, the column order of the three arrays below.
    amount : ndarray of float64, shape (k, c)
        Signed change of the pipeline due to each component (outflows negative).
    weighted : ndarray of float64, shape (k, c)
        The same for the weighted pipeline.
    count : ndarray of int64, shape (k, c)
        Deals behind each component (for ``amount_change``, deals whose amount
        changed; for ``advanced``/``regressed``/``reweighted``, deals whose stage
        or probability changed).
    by : tuple of str
        The dimension names.
    n_unchanged : int
        Deals present and identical in both snapshots (stage, amount, close
        date, ``by`` dimensions).
    n_closed_between : int
        Deals absent from (or closed in) the first snapshot and closed in the
        second: they never were open pipeline in either, and are only in the
        change log.
    changes : DealChanges
        The deal-level change log.
    probabilities : str
        ``"configured"`` or ``"calibrated"``.

    Examples
    --------
    >>> from crmkit.funnel import DEFAULT_PROCESS, Opportunities, pipeline_movement
    >>> monday = Opportunities.from_arrays(
    ...     process=DEFAULT_PROCESS,
    ...     id=[1, 2],
    ...     amount=[100.0, 50.0],
    ...     stage=["plan", "close"],
    ...     close_date=["2024-07-10", "2024-07-20"],
    ... )
    >>> friday = Opportunities.from_arrays(
    ...     process=DEFAULT_PROCESS,
    ...     id=[1, 2],
    ...     amount=[80.0, 50.0],
    ...     stage=["plan", "close"],
    ...     close_date=["2024-07-10", "2024-08-05"],
    ... )
    >>> m = pipeline_movement(monday, friday, period="month", probabilities="configured")
    >>> m.period.tolist(), m.start.tolist(), m.end.tolist()
    (['2024-07', '2024-08'], [150.0, 0.0], [80.0, 50.0])
    >>> m.component("amount_change").tolist(), m.component("pushed_out").tolist()
    ([-20.0, 0.0], [-50.0, 0.0])
    """

    _table: ClassVar[tuple[str, ...]] = (
        "period",
        "start_date",
        "end_date",
        "n_start",
        "start",
        "n_end",
        "end",
        "weighted_start",
        "weighted_end",
    )
    _kinds: ClassVar[Mapping[str, Kind]] = {
        "start": "money",
        "end": "money",
        "weighted_start": "money",
        "weighted_end": "money",
        "amount": "money",
        "weighted": "money",
    }
    _rows: ClassVar[tuple[str, ...]] = (
        "period",
        "start_date",
        "end_date",
        "groups",
        "start",
        "end",
        "weighted_start",
        "weighted_end",
        "n_start",
        "n_end",
        "amount",
        "weighted",
        "count",
    )
    period: npt.NDArray[np.str_]
    start_date: npt.NDArray[np.datetime64]
    end_date: npt.NDArray[np.datetime64]
    groups: Mapping[str, npt.NDArray[Any]]
    start: FloatArray
    end: FloatArray
    weighted_start: FloatArray
    weighted_end: FloatArray
    n_start: IntArray
    n_end: IntArray
    components: tuple[str, ...]
    amount: FloatArray
    weighted: FloatArray
    count: IntArray
    by: tuple[str, ...]
    n_unchanged: int
    n_closed_between: int
    changes: DealChanges
    probabilities: str

    def component(self, name: str, *, weighted: bool = False) -> FloatArray:
        """Return one component's signed change per cell.

        Parameters
        ----------
        name : str
            One of :data:`COMPONENTS`.
        weighted : bool
            The weighted pipeline's column instead of the amount's.

        Returns
        -------
        ndarray of float64, shape (k,)

        Raises
        ------
        InputError
            For an unknown component name.

        Examples
        --------
        >>> from crmkit.funnel import DEFAULT_PROCESS, Opportunities, pipeline_movement
        >>> a = Opportunities.from_arrays(
        ...     process=DEFAULT_PROCESS,
        ...     id=[1],
        ...     amount=[10.0],
        ...     stage=["plan"],
        ...     close_date=["2024-07-10"],
        ... )
        >>> b = Opportunities.from_arrays(
        ...     process=DEFAULT_PROCESS,
        ...     id=[1],
        ...     amount=[10.0],
        ...     stage=["lost"],
        ...     close_date=["2024-07-10"],
        ... )
        >>> m = pipeline_movement(a, b, period="month", probabilities="configured")
        >>> m.component("lost").tolist(), m.component("lost", weighted=True).tolist()
        ([-10.0], [-4.0])
        """
        if name not in _C:
            raise InputError.for_parameter(
                "name", f"one of {list(COMPONENTS)}", name, function="PipelineMovement.component"
            )
        table = (
            self.weighted if flag(weighted, name="weighted", function="component") else self.amount
        )
        return table[:, _C[name]]

    def table(self) -> dict[str, npt.NDArray[Any]]:
        """Return one row per cell: bounds, dimensions, totals and every component.

        Returns
        -------
        dict of str to ndarray
            ``period``, the bounds, the ``by`` dimensions, ``n_start``, ``start``,
            each component (``new`` ...), ``end``, then ``n_<component>`` and
            ``weighted_<component>`` columns.
        """
        cols: dict[str, npt.NDArray[Any]] = {
            "period": self.period,
            "start_date": self.start_date,
            "end_date": self.end_date,
        }
        cols |= {k: np.asarray(v) for k, v in self.groups.items()}
        cols |= {"n_start": self.n_start, "start": self.start}
        cols |= {c: self.amount[:, i] for i, c in enumerate(self.components)}
        cols |= {"end": self.end, "n_end": self.n_end}
        cols |= {f"n_{c}": self.count[:, i] for i, c in enumerate(self.components)}
        cols["weighted_start"] = self.weighted_start
        cols |= {f"weighted_{c}": self.weighted[:, i] for i, c in enumerate(self.components)}
        cols["weighted_end"] = self.weighted_end
        return cols

    def waterfall(self, *, weighted: bool, where: Mapping[str, object] | None = None) -> Waterfall:
        """Return the bars of a waterfall chart, summed over the cells that match *where*.

        Parameters
        ----------
        weighted : bool
            Bars of the weighted pipeline (True) or of the amounts (False).
        where : mapping of str to value, optional
            Keep cells whose ``period`` label or ``by`` dimension equals the
            value (e.g. ``{"period": "2024-08", "region": "north"}``); all cells
            by default.

        Returns
        -------
        Waterfall

        Raises
        ------
        InputError
            For a key of *where* that is neither ``period`` nor a ``by`` name.

        Examples
        --------
        >>> from crmkit.funnel import DEFAULT_PROCESS, Opportunities, pipeline_movement
        >>> a = Opportunities.from_arrays(
        ...     process=DEFAULT_PROCESS,
        ...     id=[1, 2],
        ...     amount=[10.0, 5.0],
        ...     stage=["plan", "plan"],
        ...     close_date=["2024-07-10", "2024-07-11"],
        ...     dimensions={"region": ["n", "s"]},
        ... )
        >>> b = Opportunities.from_arrays(
        ...     process=DEFAULT_PROCESS,
        ...     id=[1, 2],
        ...     amount=[10.0, 5.0],
        ...     stage=["won", "plan"],
        ...     close_date=["2024-07-09", "2024-07-11"],
        ...     dimensions={"region": ["n", "s"]},
        ... )
        >>> m = pipeline_movement(a, b, period="month", by=["region"], probabilities="configured")
        >>> w = m.waterfall(weighted=False, where={"region": "n"})
        >>> float(w.amount[0]), float(w.amount[-1]), w.step[w.amount < 0].tolist()
        (10.0, 0.0, ['won'])
        """
        fn = "PipelineMovement.waterfall"
        use_w = flag(weighted, name="weighted", function=fn)
        keep = np.ones(self.period.size, dtype=bool)
        for key, value in (where or {}).items():
            if key == "period":
                keep &= self.period == str(value)
            elif key in self.groups:
                keep &= np.asarray(self.groups[key]) == value
            else:
                raise InputError.for_parameter(
                    "where", f"keys among {['period', *self.by]}", key, function=fn
                )
        start = float((self.weighted_start if use_w else self.start)[keep].sum())
        end = float((self.weighted_end if use_w else self.end)[keep].sum())
        deltas = (self.weighted if use_w else self.amount)[keep].sum(axis=0)
        run = start + np.concatenate([[0.0], np.cumsum(deltas)])
        bottom = np.concatenate([[0.0], np.minimum(run[:-1], run[1:]), [0.0]])
        top = np.concatenate([[start], np.maximum(run[:-1], run[1:]), [end]])
        return Waterfall(
            step=np.array(["start", *self.components, "end"]),
            amount=np.concatenate([[start], deltas, [end]]),
            bottom=bottom,
            top=top,
            weighted=use_w,
        )


def _snapshot(value: object, name: str) -> Opportunities:
    if isinstance(value, PipelineState):
        return value.snapshot()
    return instance(
        value, Opportunities, name=name, function=_FN, what="Opportunities or a PipelineState"
    )


@attrs.frozen(kw_only=True)
class _Layers:
    """Per period layer (one for a frequency, one per horizon): each deal's cell key or -1."""

    key0: list[IntArray]
    key1: list[IntArray]
    moved: list[BoolArray]
    label: npt.NDArray[np.str_]
    start: npt.NDArray[np.datetime64]
    end: npt.NDArray[np.datetime64]


def _check_close(opps: Opportunities, open_: BoolArray, which: str) -> None:
    missing = open_ & np.isnat(opps.close_date)
    if missing.any():
        pos = np.flatnonzero(missing)
        raise InputError.for_rows(
            "close_date",
            f"must be known for every open deal of the {which!r} snapshot",
            positions=pos[:5].tolist(),
            values=[opps.id[p] for p in pos[:5]],
            n_bad=int(pos.size),
            function=_FN,
            hint="The values shown are opportunity ids; give them an expected close date.",
        )


def _period_index(
    close0: npt.NDArray[np.datetime64],
    close1: npt.NDArray[np.datetime64],
    *,
    open0: BoolArray,
    open1: BoolArray,
    freq: Frequency,
    calendar: Calendar,
) -> tuple[IntArray, IntArray, int, int]:
    """Period index (from the first period, -1 when not open) of each deal in each snapshot.

    Every period starts at midnight, so a deal's period is that of its day: the
    keys are computed once per distinct day of the span and looked up (keys
    grow with the day, so the first and last day hold the first and last key).
    """
    if not (open0.any() or open1.any()):
        return np.full(close0.size, -1), np.full(close1.size, -1), 0, -1
    big = np.iinfo(np.int64).max
    day0 = close0.view(np.int64) // _US_PER_DAY  # NaT rows are never open: masked below
    day1 = close1.view(np.int64) // _US_PER_DAY
    d_lo = int(min(np.where(open0, day0, big).min(), np.where(open1, day1, big).min()))
    d_hi = int(max(np.where(open0, day0, -big).max(), np.where(open1, day1, -big).max()))
    if d_hi - d_lo <= 4 * (close0.size + close1.size) + (1 << 16):
        span = np.arange(d_lo, d_hi + 1, dtype=np.int64).astype("datetime64[D]")
        day_key = period_keys(span, freq, calendar=calendar)
        lo, hi = int(day_key[0]), int(day_key[-1])
        rel = np.append(day_key - lo, -1)  # the extra slot: not open
        none = d_hi - d_lo + 1
        k0 = rel[np.where(open0, day0 - d_lo, none)]
        k1 = rel[np.where(open1, day1 - d_lo, none)]
        return k0, k1, lo, hi
    key0 = period_keys(np.where(open0, close0, close0[open0.argmax()]), freq, calendar=calendar)
    key1 = period_keys(np.where(open1, close1, close1[open1.argmax()]), freq, calendar=calendar)
    lo = int(min(np.where(open0, key0, big).min(), np.where(open1, key1, big).min()))
    hi = int(max(np.where(open0, key0, -big).max(), np.where(open1, key1, -big).max()))
    return np.where(open0, key0 - lo, -1), np.where(open1, key1 - lo, -1), lo, hi


def _layers(  # noqa: PLR0917  (a private kernel over aligned arrays)
    close0: npt.NDArray[np.datetime64],
    close1: npt.NDArray[np.datetime64],
    open0: BoolArray,
    open1: BoolArray,
    combo0: IntArray,
    combo1: IntArray,
    n_combo: int,
    spec: PeriodSpec,
    calendar: Calendar,
) -> _Layers:
    horizons = _horizons(spec)
    if horizons is not None:
        key0, key1, moved = [], [], []
        for i, h in enumerate(horizons):
            in0 = open0 & (close0 >= h.start) & (close0 < h.end)
            in1 = open1 & (close1 >= h.start) & (close1 < h.end)
            key0.append(np.where(in0, i * n_combo + combo0, -1))
            key1.append(np.where(in1, i * n_combo + combo1, -1))
            moved.append(in0 != in1)
        return _Layers(
            key0=key0,
            key1=key1,
            moved=moved,
            label=np.array([h.label for h in horizons]),
            start=np.array([h.start for h in horizons], dtype="datetime64[us]"),
            end=np.array([h.end for h in horizons], dtype="datetime64[us]"),
        )
    freq = check_period(spec, function=_FN)
    k0, k1, lo, hi = _period_index(
        close0, close1, open0=open0, open1=open1, freq=freq, calendar=calendar
    )
    table = np.arange(lo, hi + 1, dtype=np.int64)
    start, end = period_bounds(table, freq, calendar=calendar)
    return _Layers(
        key0=[np.where(open0, k0 * n_combo + combo0, -1)],
        key1=[np.where(open1, k1 * n_combo + combo1, -1)],
        moved=[k0 != k1],
        label=period_labels(table, freq, calendar=calendar),
        start=start,
        end=end,
    )


def pipeline_movement(
    before: Opportunities | PipelineState,
    after: Opportunities | PipelineState,
    *,
    period: PeriodSpec,
    probabilities: Literal["configured"] | StageRates,
    by: Sequence[str] = (),
    calendar: Calendar = DEFAULT_CALENDAR,
) -> PipelineMovement:
    """Explain how the pipeline moved between two snapshots, per period and dimension cell.

    Parameters
    ----------
    before, after : Opportunities or PipelineState
        The two snapshots (e.g. last Monday's and this Monday's CRM export,
        open and closed deals with their current stage, amount and close
        date). A :class:`PipelineState` stands for its :meth:`~PipelineState.snapshot`:
        a stage-history log sliced at two dates is
        ``PipelineState.from_history(log, as_of=t0)`` and ``(..., as_of=t1)``.
    period : Frequency, str, Horizon or list of Horizon
        Cells by close period (``"month"``, ``"quarter"``, ...) or horizons.
    probabilities : "configured" or StageRates
        Win probabilities of each snapshot's deals for the weighted pipeline.
    by : sequence of str
        Dimensions of both snapshots to group by (e.g. ``("region", "product")``).
    calendar : Calendar
        Week start and fiscal year.

    Returns
    -------
    PipelineMovement
        One row per cell holding an open deal in either snapshot, and the
        deal-level change log.

    Raises
    ------
    InputError
        For snapshots of different sales processes, a deal id repeated in a
        snapshot (raised when the snapshot is built), ids of different kinds
        (ints in one, strings in the other), an unknown ``by`` dimension, an
        open deal without close date, or a bad ``period``.

    Notes
    -----
    A deal is in cell *c* of a snapshot when it is open there, its close date
    falls in *c*'s period and its ``by`` dimensions are *c*'s. For every cell::

        end = start + new + reopened + pulled_in + pushed_in + reassigned_in
              + amount_change + advanced + regressed + reweighted
              + pushed_out + pulled_out + reassigned_out + won + lost + removed

    with outflows negative. A deal that leaves *c* counts its ``before``
    amount (won, lost, removed from the second snapshot, or moved: its close
    date pushed later or pulled earlier out of the period, or its dimensions
    reassigned); a deal that enters *c* counts its ``after`` amount (new,
    reopened, or moved in); a deal in *c* in both counts ``a1 - a0`` as
    ``amount_change``. A move whose period changed counts as pushed/pulled
    even if the dimensions changed too. The unweighted stage columns are 0.
    The weighted pipeline splits a staying deal's change
    ``a1 p1 - a0 p0 = (a1 - a0) p0 + a1 (p1 - p0)`` into ``amount_change`` and
    ``advanced`` / ``regressed`` (stage later / earlier) or ``reweighted``
    (same stage, other probability). Every deal's contribution is attributed
    once, so the identity is exact in exact arithmetic; in floating point it is
    exact whenever the amounts are whole numbers (totals below 2**53) and
    otherwise holds to rounding.

    Examples
    --------
    >>> from crmkit.funnel import DEFAULT_PROCESS, Opportunities
    >>> last_week = Opportunities.from_arrays(
    ...     process=DEFAULT_PROCESS,
    ...     id=[1, 2, 3],
    ...     amount=[100.0, 40.0, 60.0],
    ...     stage=["plan", "qualify", "close"],
    ...     close_date=["2024-07-10", "2024-07-20", "2024-07-25"],
    ... )
    >>> this_week = Opportunities.from_arrays(
    ...     process=DEFAULT_PROCESS,
    ...     id=[1, 2, 3, 4],
    ...     amount=[100.0, 40.0, 60.0, 25.0],
    ...     stage=["propose solution", "lost", "won", "qualify"],
    ...     close_date=["2024-07-10", "2024-07-19", "2024-07-18", "2024-07-30"],
    ... )
    >>> m = pipeline_movement(last_week, this_week, period="month", probabilities="configured")
    >>> {c: float(m.component(c)[0]) for c in ("new", "won", "lost")}
    {'new': 25.0, 'won': -60.0, 'lost': -40.0}
    >>> float(m.start[0] + m.amount[0].sum()) == float(m.end[0])
    True
    >>> round(float(m.component("advanced", weighted=True)[0]), 6)  # plan 0.4 -> propose 0.6
    20.0
    """
    s0 = _snapshot(before, "before")
    s1 = _snapshot(after, "after")
    if s0.process != s1.process:
        raise InputError.for_parameter(
            "after",
            "a snapshot of the same sales process as 'before'",
            "another SalesProcess",
            function=_FN,
            hint="Both snapshots must use one SalesProcess (same stages, same names).",
        )
    process = s0.process
    by = dimension_names(by, name="by", function=_FN, allow_empty=True, what="dimension names")
    instance(calendar, Calendar, name="calendar", function=_FN, what="a Calendar")
    for name in by:
        for which, snap in (("before", s0), ("after", s1)):
            if name not in snap.dimensions:
                raise InputError.for_parameter(
                    "by",
                    f"dimension names of the {which!r} snapshot ({list(snap.dimensions)})",
                    name,
                    function=_FN,
                )
    if s0.n_rows and s1.n_rows and (s0.id.dtype.kind == "U") != (s1.id.dtype.kind == "U"):
        raise InputError.for_parameter(
            "after",
            "a snapshot whose ids are of the same kind (ints or strings) as 'before'",
            str(s1.id.dtype),
            function=_FN,
        )
    p0 = probabilities_of(s0, probabilities, function=_FN)
    p1 = probabilities_of(s1, probabilities, function=_FN)
    # align the deals of both snapshots on one union index
    ids = np.concatenate([s0.id, s1.id])
    fact = factorize(ids)
    u = fact.n_groups
    n0 = s0.n_rows
    r0 = np.full(u, -1, dtype=np.int64)
    r1 = np.full(u, -1, dtype=np.int64)
    r0[fact.codes[:n0]] = np.arange(n0)
    r1[fact.codes[n0:]] = np.arange(s1.n_rows)
    in0, in1 = r0 >= 0, r1 >= 0
    i0, i1 = np.maximum(r0, 0), np.maximum(r1, 0)
    won_code = process.won_code
    nat = np.datetime64("NaT", "us")

    def take(values: npt.NDArray[Any], index: IntArray, fill: object) -> npt.NDArray[Any]:
        # rows of deals absent from the snapshot hold row 0's values: every use masks them
        return values[index] if values.size else np.full(u, fill, dtype=values.dtype)

    stage0, stage1 = take(s0.stage, i0, 0), take(s1.stage, i1, 0)
    open0 = in0 & (stage0 < won_code)
    open1 = in1 & (stage1 < won_code)
    _check_close(s0, s0.is_open, "before")
    _check_close(s1, s1.is_open, "after")
    close0, close1 = take(s0.close_date, i0, nat), take(s1.close_date, i1, nat)
    amt0, amt1 = take(s0.amount, i0, 0.0), take(s1.amount, i1, 0.0)
    pp0, pp1 = take(p0, i0, 0.0), take(p1, i1, 0.0)
    w0 = amt0 * pp0  # used only where the deal is open
    w1 = amt1 * pp1
    # dimensions: one code space over both snapshots, combined per snapshot row, then aligned
    snap_combo0 = np.zeros(n0, dtype=np.int64)
    snap_combo1 = np.zeros(s1.n_rows, dtype=np.int64)
    radix: list[int] = []
    uniques: list[npt.NDArray[Any]] = []
    for name in by:
        g0, g1 = s0.dimension_groups[name], s1.dimension_groups[name]
        a, b = g0.uniques, g1.uniques
        if a.size and b.size and a.dtype.kind != b.dtype.kind:
            a, b = a.astype(str), b.astype(str)
        allv = np.union1d(a, b) if (a.size or b.size) else a
        r = max(int(allv.size), 1)
        snap_combo0 = snap_combo0 * r + np.searchsorted(allv, a)[g0.codes]
        snap_combo1 = snap_combo1 * r + np.searchsorted(allv, b)[g1.codes]
        radix.append(r)
        uniques.append(allv)
    combo0, combo1 = take(snap_combo0, i0, 0), take(snap_combo1, i1, 0)
    combo0 = np.where(in0, combo0, combo1)  # absent: the other snapshot's value
    combo1 = np.where(in1, combo1, combo0)
    dim_diff = combo0 != combo1
    n_combo = int(np.prod(radix)) if radix else 1
    layers = _layers(close0, close1, open0, open1, combo0, combo1, n_combo, period, calendar)
    # the cells: every key taken in either snapshot
    n_comp = len(COMPONENTS)
    space = max(layers.label.size, 1) * n_combo
    if space <= 4 * u + (1 << 20):  # small key space: presence and lookup tables
        present = np.zeros(space + 1, dtype=bool)  # the last slot catches the -1s
        for key in (*layers.key0, *layers.key1):
            present[key] = True
        cell_keys = np.flatnonzero(present[:space]).astype(np.int64)
        table = np.full(space + 1, -1, dtype=np.int64)
        table[cell_keys] = np.arange(cell_keys.size, dtype=np.int64)

        def dense(key: IntArray) -> IntArray:
            return table[key]  # key -1 reads the last entry, -1

    else:
        all_keys = np.concatenate([k[k >= 0] for k in (*layers.key0, *layers.key1)])
        cell_keys = factorize(all_keys).uniques.astype(np.int64)

        def dense(key: IntArray) -> IntArray:
            out = np.full(key.size, -1, dtype=np.int64)
            ok = key >= 0
            out[ok] = np.searchsorted(cell_keys, key[ok])
            return out

    k = cell_keys.size

    absent1, absent0 = ~in1, ~in0
    won1 = in1 & (stage1 == won_code)
    lost1 = in1 & (stage1 == process.lost_code)
    closed0 = in0 & ~open0
    later = close1 > close0  # NaT compares False: only deals with both dates
    earlier = close1 < close0
    amount_tab = np.zeros(k * n_comp)
    weighted_tab = np.zeros(k * n_comp)
    count_tab = np.zeros(k * n_comp, dtype=np.int64)
    start, end = np.zeros(k), np.zeros(k)
    wstart, wend = np.zeros(k), np.zeros(k)
    nstart, nend = np.zeros(k, dtype=np.int64), np.zeros(k, dtype=np.int64)

    def add(
        cell: IntArray, comp: IntArray, amount: FloatArray, weighted: FloatArray, cnt: IntArray
    ) -> None:
        flat = cell * n_comp + comp
        amount_tab[:] += bincount(flat, weights=amount, minlength=k * n_comp)
        weighted_tab[:] += bincount(flat, weights=weighted, minlength=k * n_comp)
        count_tab[:] += bincount(flat, weights=cnt, minlength=k * n_comp).astype(np.int64)

    for key0, key1, moved in zip(layers.key0, layers.key1, layers.moved, strict=True):
        c0, c1 = dense(key0), dense(key1)
        h0, h1 = np.flatnonzero(c0 >= 0), np.flatnonzero(c1 >= 0)
        c0h, c1h = c0[h0], c1[h1]
        start += bincount(c0h, weights=amt0[h0], minlength=k)
        end += bincount(c1h, weights=amt1[h1], minlength=k)
        wstart += bincount(c0h, weights=w0[h0], minlength=k)
        wend += bincount(c1h, weights=w1[h1], minlength=k)
        nstart += bincount(c0h, minlength=k)
        nend += bincount(c1h, minlength=k)
        differ = c0 != c1
        lv = h0[differ[h0]]
        en = h1[differ[h1]]
        st = h0[~differ[h0]]
        # why each leaving deal left, and why each entering deal came (only those rows)
        out_comp = np.select(
            [absent1[lv], won1[lv], lost1[lv], moved[lv] & later[lv], moved[lv] & earlier[lv]],
            [_C["removed"], _C["won"], _C["lost"], _C["pushed_out"], _C["pulled_out"]],
            default=_C["reassigned_out"],
        )
        in_comp = np.select(
            [absent0[en], closed0[en], moved[en] & earlier[en], moved[en] & later[en]],
            [_C["new"], _C["reopened"], _C["pulled_in"], _C["pushed_in"]],
            default=_C["reassigned_in"],
        )
        add(c0[lv], out_comp, -amt0[lv], -w0[lv], np.ones(lv.size, dtype=np.int64))
        add(c1[en], in_comp, amt1[en], w1[en], np.ones(en.size, dtype=np.int64))
        d_amt = amt1[st] - amt0[st]
        p0s, p1s = pp0[st], pp1[st]
        add(
            c0[st],
            np.full(st.size, _C["amount_change"]),
            d_amt,
            d_amt * p0s,
            (d_amt != 0).astype(np.int64),
        )
        s0s, s1s = stage0[st], stage1[st]
        stage_comp = np.where(
            s1s > s0s, _C["advanced"], np.where(s1s < s0s, _C["regressed"], _C["reweighted"])
        )
        add(
            c0[st],
            stage_comp,
            np.zeros(st.size),
            amt1[st] * (p1s - p0s),
            ((s1s != s0s) | (p1s != p0s)).astype(np.int64),
        )

    # decode the cells (and the change log's dimensions) from the combined codes
    def decode(codes: IntArray) -> tuple[IntArray, dict[str, npt.NDArray[Any]]]:
        rem = codes.copy()
        parts: list[IntArray] = []
        for r in reversed(radix):
            parts.append(rem % r)
            rem //= r
        parts.reverse()
        return rem, {name: uniques[j][parts[j]] for j, name in enumerate(by)}

    per, groups = decode(cell_keys)
    # the change log
    same_close = (close0 == close1) | (np.isnat(close0) & np.isnat(close1))
    changed = (in0 != in1) | (stage0 != stage1) | (amt0 != amt1) | ~same_close | dim_diff
    rows = np.flatnonzero(changed)
    names = np.asarray([*process.names, ""])  # code -1 (absent) reads ""
    r_in0, r_in1 = in0[rows], in1[rows]
    r_open0, r_open1 = open0[rows], open1[rows]
    r_both = r_in0 & r_in1
    r_a0, r_a1 = amt0[rows], amt1[rows]
    r_s0, r_s1 = stage0[rows], stage1[rows]
    r_later, r_earlier = later[rows], earlier[rows]
    changes = DealChanges(
        id=fact.uniques[rows],
        stage_before=names[np.where(r_in0, r_s0, -1)],
        stage_after=names[np.where(r_in1, r_s1, -1)],
        amount_before=np.where(r_in0, r_a0, np.nan),
        amount_after=np.where(r_in1, r_a1, np.nan),
        close_before=np.where(r_in0, close0[rows], nat),
        close_after=np.where(r_in1, close1[rows], nat),
        weighted_before=np.where(r_open0, w0[rows], 0.0),
        weighted_after=np.where(r_open1, w1[rows], 0.0),
        created=~r_in0,
        removed=~r_in1,
        won=(r_open0 | ~r_in0) & won1[rows],
        lost=(r_open0 | ~r_in0) & lost1[rows],
        reopened=closed0[rows] & r_open1,
        advanced=r_open0 & r_open1 & (r_s1 > r_s0),
        regressed=r_open0 & r_open1 & (r_s1 < r_s0),
        pushed=r_both & r_later,
        pulled=r_both & r_earlier,
        amount_up=r_both & (r_a1 > r_a0),
        amount_down=r_both & (r_a1 < r_a0),
        reassigned=r_both & dim_diff[rows],
        groups_before=decode(combo0[rows])[1],
        groups_after=decode(combo1[rows])[1],
    )
    closed_between = (absent0 | closed0) & (won1 | lost1)
    return PipelineMovement(
        period=layers.label[per],
        start_date=layers.start[per],
        end_date=layers.end[per],
        groups=groups,
        start=start,
        end=end,
        weighted_start=wstart,
        weighted_end=wend,
        n_start=nstart,
        n_end=nend,
        components=COMPONENTS,
        amount=amount_tab.reshape(k, n_comp),
        weighted=weighted_tab.reshape(k, n_comp),
        count=count_tab.reshape(k, n_comp),
        by=by,
        n_unchanged=int(u - rows.size),
        n_closed_between=int(closed_between.sum()),
        changes=changes,
        probabilities="configured" if isinstance(probabilities, str) else "calibrated",
    )

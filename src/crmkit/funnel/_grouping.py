"""Assign deals to (period x dimensions) cells; shared by forecasts, distributions and backtests."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt

from crmkit._groups import factorize
from crmkit._params import choice
from crmkit.errors import InputError
from crmkit.funnel._opportunities import Opportunities
from crmkit.periods import (
    DEFAULT_CALENDAR,
    Calendar,
    Frequency,
    FrequencyLike,
    Horizon,
    period_bounds,
    period_keys,
    period_labels,
)

__all__ = ["Cells", "PeriodSpec", "assign_cells", "check_period"]

IntArray = npt.NDArray[np.int64]
PeriodSpec = FrequencyLike | Horizon | Sequence[Horizon]


@attrs.frozen(kw_only=True)
class Periods:
    """Deal rows expanded to (deal, period) pairs plus the period table."""

    deal: IntArray
    period: IntArray
    label: npt.NDArray[np.str_]
    start: npt.NDArray[np.datetime64]
    end: npt.NDArray[np.datetime64]
    lookup: dict[str, int]


def _horizons(spec: PeriodSpec) -> list[Horizon] | None:
    if isinstance(spec, Horizon):
        return [spec]
    if isinstance(spec, (list, tuple)) and spec and all(isinstance(h, Horizon) for h in spec):
        return list(spec)
    return None


def check_period(spec: object, *, function: str) -> Frequency:
    """Return the :class:`~crmkit.periods.Frequency` a ``period`` names (not a Horizon)."""
    try:
        return choice(spec, Frequency, name="period", function=function)
    except InputError as err:
        valid = ", ".join(repr(f.value) for f in Frequency)
        shown = spec if isinstance(spec, (str, int, float, type(None))) else type(spec).__name__
        raise InputError.for_parameter(
            "period",
            f"a Frequency ({valid}), a Horizon or a non-empty list of Horizons",
            shown,
            function=function,
            hint=err.hint,
        ) from None


def assign_periods(
    times: npt.NDArray[np.datetime64],
    rows: IntArray,
    spec: PeriodSpec,
    *,
    calendar: Calendar,
    function: str,
) -> Periods:
    """Map each of *rows* (indices into *times*) to the periods of *spec*."""
    horizons = _horizons(spec)
    t = times[rows]
    if horizons is not None:
        deals, periods = [], []
        for i, h in enumerate(horizons):
            inside = (t >= h.start) & (t < h.end)
            deals.append(rows[inside])
            periods.append(np.full(int(inside.sum()), i, dtype=np.int64))
        labels = np.array([h.label for h in horizons], dtype=str)
        return Periods(
            deal=np.concatenate(deals) if deals else rows[:0],
            period=np.concatenate(periods) if periods else rows[:0],
            label=labels,
            start=np.array([h.start for h in horizons], dtype="datetime64[us]"),
            end=np.array([h.end for h in horizons], dtype="datetime64[us]"),
            lookup={str(lab): i for i, lab in enumerate(labels.tolist())},
        )
    freq = check_period(spec, function=function)
    keys = period_keys(t, freq, calendar=calendar)
    uniq = np.unique(keys)
    if uniq.size:
        lo, hi = int(uniq[0]), int(uniq[-1])
        table = np.arange(lo, hi + 1, dtype=np.int64)
    else:
        table = np.zeros(0, dtype=np.int64)
    start, end = period_bounds(table, freq, calendar=calendar)
    labels = period_labels(table, freq, calendar=calendar)
    return Periods(
        deal=rows,
        period=(keys - (int(table[0]) if table.size else 0)).astype(np.int64),
        label=labels,
        start=start,
        end=end,
        lookup={str(lab): i for i, lab in enumerate(labels.tolist())},
    )


def extend_periods(
    periods: Periods, labels: npt.NDArray[Any], spec: PeriodSpec, *, calendar: Calendar
) -> tuple[Periods, IntArray]:
    """Widen the period table to hold quota labels; return their period indices (-1 if invalid)."""
    if _horizons(spec) is not None or not labels.size:
        return periods, np.array([periods.lookup.get(str(x), -1) for x in labels], dtype=np.int64)
    freq = Frequency(spec)  # type: ignore[arg-type]
    edges = np.array(["1950-01-01", "2100-01-01"], dtype="M8[us]")
    lo_key, hi_key = (int(k) for k in period_keys(edges, freq, calendar=calendar))
    first = (
        int(period_keys(periods.start[:1], freq, calendar=calendar)[0])
        if periods.label.size
        else lo_key
    )
    # quota labels may name any period from 1950 to 2100 (or inside the data's span)
    wide = np.arange(
        min(lo_key, first), max(hi_key, first + periods.label.size) + 1, dtype=np.int64
    )
    wide_labels = period_labels(wide, freq, calendar=calendar)
    where = {str(lab): int(k) for lab, k in zip(wide_labels.tolist(), wide.tolist(), strict=True)}
    qkeys = np.array([where.get(str(x), np.iinfo(np.int64).min) for x in labels], dtype=np.int64)
    valid = qkeys != np.iinfo(np.int64).min
    if not valid.any():
        return periods, np.full(labels.size, -1, dtype=np.int64)
    old_lo = first
    lo = min(old_lo, int(qkeys[valid].min())) if periods.label.size else int(qkeys[valid].min())
    old_hi = old_lo + periods.label.size - 1
    hi = max(old_hi, int(qkeys[valid].max())) if periods.label.size else int(qkeys[valid].max())
    table = np.arange(lo, hi + 1, dtype=np.int64)
    start, end = period_bounds(table, freq, calendar=calendar)
    new_labels = period_labels(table, freq, calendar=calendar)
    shift = old_lo - lo if periods.label.size else 0
    widened = Periods(
        deal=periods.deal,
        period=periods.period + shift,
        label=new_labels,
        start=start,
        end=end,
        lookup={str(lab): i for i, lab in enumerate(new_labels.tolist())},
    )
    return widened, np.where(valid, qkeys - lo, -1).astype(np.int64)


@attrs.frozen(kw_only=True)
class Cells:
    """Group code per (deal, period) pair and the decoded cell table."""

    deal: IntArray
    code: IntArray
    quota_code: IntArray
    n_cells: int
    period: IntArray
    dims: dict[str, npt.NDArray[Any]]
    periods: Periods


def assign_cells(
    opps: Opportunities,
    rows: IntArray,
    spec: PeriodSpec,
    by: Sequence[str],
    *,
    calendar: Calendar = DEFAULT_CALENDAR,
    quota_periods: npt.NDArray[Any] | None = None,
    quota_dims: dict[str, npt.NDArray[Any]] | None = None,
    function: str,
) -> Cells:
    """Group *rows* of *opps* by period of their close date and the *by* dimensions."""
    for name in by:
        if name not in opps.dimensions:
            raise InputError.for_parameter(
                "by",
                f"a list of dimension names of the opportunities ({list(opps.dimensions)})",
                name,
                function=function,
            )
    missing = np.isnat(opps.close_date[rows])
    if missing.any():
        pos = rows[missing]
        raise InputError.for_rows(
            "close_date",
            "must be known for every open or won deal in a period forecast",
            positions=pos[:5].tolist(),
            values=[opps.id[p] for p in pos[:5]],
            n_bad=int(pos.size),
            function=function,
            hint="The values shown are opportunity ids; give them an expected close date.",
        )
    periods = assign_periods(opps.close_date, rows, spec, calendar=calendar, function=function)
    q_period = np.zeros(0, dtype=np.int64)
    if quota_periods is not None:
        periods, q_period = extend_periods(periods, quota_periods, spec, calendar=calendar)
        bad = q_period < 0
        if bad.any():
            pos = np.flatnonzero(bad)
            shown = periods.label[:3].tolist()
            raise InputError.for_rows(
                "period",
                "must name a period of the forecast's frequency (or one of its horizons)",
                positions=pos[:5].tolist(),
                values=[quota_periods[p] for p in pos[:5]],
                n_bad=int(pos.size),
                function=function,
                kind="quota column",
                hint=f"Use labels such as {shown}.",
            )
    n_q = q_period.size
    radix = [max(periods.label.size, 1)]
    codes_main = [periods.period]
    codes_quota = [q_period]
    uniques: list[npt.NDArray[Any]] = []
    for name in by:
        group = opps.dimension_groups[name]
        known = group.uniques
        main = group.codes[periods.deal]
        qvals = (quota_dims or {}).get(name, known[:0])
        qcodes = np.zeros(0, dtype=np.int64)
        if qvals.size:
            if known.size and qvals.dtype.kind != known.dtype.kind:
                known, qvals = known.astype(str), qvals.astype(str)
            idx = np.clip(np.searchsorted(known, qvals), 0, max(known.size - 1, 0))
            found = known[idx] == qvals if known.size else np.zeros(qvals.size, dtype=bool)
            extra = factorize(qvals[~found]) if (~found).any() else None
            qcodes = idx.astype(np.int64)
            if extra is not None:
                qcodes[~found] = known.size + extra.codes
                known = np.concatenate([known, extra.uniques])
        uniques.append(known)
        radix.append(max(known.size, 1))
        codes_main.append(main)
        codes_quota.append(qcodes)
    key_main = np.zeros(periods.deal.size, dtype=np.int64)
    key_quota = np.zeros(n_q, dtype=np.int64)
    for r, cm, cq in zip(radix, codes_main, codes_quota, strict=True):
        key_main = key_main * r + cm
        key_quota = key_quota * r + cq if n_q else key_quota
    all_keys = np.concatenate([key_main, key_quota])
    fact = factorize(all_keys) if all_keys.size else factorize(np.zeros(0, dtype=np.int64))
    cell_keys = fact.uniques.astype(np.int64)
    decoded: list[IntArray] = []
    rem = cell_keys.copy()
    for r in reversed(radix):
        decoded.append(rem % r)
        rem = rem // r
    decoded.reverse()
    dims = {name: uniques[i][decoded[i + 1]] for i, name in enumerate(by)}
    return Cells(
        deal=periods.deal,
        code=fact.codes[: key_main.size],
        quota_code=fact.codes[key_main.size :],
        n_cells=int(cell_keys.size),
        period=decoded[0],
        dims=dims,
        periods=periods,
    )

"""Touchpoint paths: touches and conversions validated, joined, windowed and counted once."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

import attrs
import numpy as np
import numpy.typing as npt

from crmkit._groups import factorize
from crmkit._input import as_datetime, as_finite_float, as_ids, as_readonly
from crmkit._params import names, number
from crmkit._reduce import bincount
from crmkit._tables import read_mapped
from crmkit.errors import InputError

__all__ = ["TouchpointPaths", "touchpoint_paths"]

_FN: Final = "touchpoint_paths"
_US_PER_DAY: Final = 86_400_000_000
_LONGEST_WINDOW_US: Final = 2**62  # a longer window than datetime64[us] spans keeps every touch
_NAT: Final = np.datetime64("NaT", "us")
FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
TimeArray = npt.NDArray[np.datetime64]


@attrs.frozen(kw_only=True, repr=False)
class TouchpointPaths:
    """Customer journeys ready for attribution: one path per customer, touches in time order.

    Build with :func:`touchpoint_paths`, which validates the touchpoints and
    conversions once; every attribution model then works on these arrays.
    Converting paths come first (by customer), then the others (by customer);
    ``touch_*`` arrays hold the touches kept (within the lookback window, not
    after the conversion), path by path in time order, so the touches that
    earn credit are the first ``n_converting_touches``.

    Attributes
    ----------
    channels : tuple of str
        Channel (or campaign) names; ``touch_channel`` codes index this.
    path_customer : ndarray, shape (p,)
        The customer (journey) of each path: converting paths first.
    path_start : ndarray of int64, shape (p,)
        Index of each path's first touch in the ``touch_*`` arrays.
    path_length : ndarray of int64, shape (p,)
        Touches kept in each path (>= 1).
    converted : ndarray of bool, shape (p,)
        Whether the path ends in a conversion.
    value : ndarray of float64, shape (p,)
        Conversion value (0 for paths that do not convert).
    conversion_time : ndarray of datetime64[us], shape (p,)
        When the path converted (NaT for paths that do not convert).
    lead_position, opportunity_position : ndarray of int64, shape (p,)
        Position within its path (0 = first touch) of the touch that created
        the lead / the opportunity: the last kept touch at or before that
        milestone; -1 where the milestone is not known or precedes every kept
        touch.
    touch_channel : ndarray of int64, shape (t,)
        Channel code of each kept touch.
    touch_time : ndarray of datetime64[us], shape (t,)
        Time of each kept touch.
    touch_path : ndarray of int64, shape (t,)
        Path of each kept touch.
    touch_position : ndarray of int64, shape (t,)
        Position of each kept touch in its path (0 = first).
    touch_value : ndarray of float64, shape (t,)
        Value of the conversion each touch's path ends in (0 where it does not convert).
    lookback_days : float or None
        Window before the conversion (or, for paths that do not convert,
        before their last touch) within which touches count.
    n_touch_rows : int
        Touchpoint rows given.
    n_touches_after_conversion : int
        Touches dated after their customer's conversion: not part of the path.
    n_touches_outside_lookback : int
        Touches before the lookback window: not part of the path.
    n_conversions_outside_lookback : int
        Conversions whose touches all fall before the window: they have no
        path, so no model credits them (``unattributed_value``).
    unattributed_value : float
        Total value of those conversions.
    has_milestones : bool
        Whether lead and opportunity creation dates were given.

    Examples
    --------
    >>> paths = touchpoint_paths(
    ...     {
    ...         "customer": [1, 1, 2],
    ...         "timestamp": ["2024-01-01", "2024-01-05", "2024-01-02"],
    ...         "channel": ["email", "search", "email"],
    ...     },
    ...     {"customer": [1], "timestamp": ["2024-01-06"], "value": [120.0]},
    ...     lookback_days=None,
    ... )
    >>> paths.n_paths, paths.n_conversions, paths.channels
    (2, 1, ('email', 'search'))
    """

    channels: tuple[str, ...]
    path_customer: npt.NDArray[Any]
    path_start: IntArray
    path_length: IntArray
    converted: npt.NDArray[np.bool_]
    value: FloatArray
    conversion_time: TimeArray
    lead_position: IntArray
    opportunity_position: IntArray
    touch_channel: IntArray
    touch_time: TimeArray
    touch_path: IntArray
    touch_position: IntArray
    touch_value: FloatArray
    lookback_days: float | None
    n_touch_rows: int
    n_touches_after_conversion: int
    n_touches_outside_lookback: int
    n_conversions_outside_lookback: int
    unattributed_value: float
    has_milestones: bool

    @property
    def n_paths(self) -> int:
        """Paths (customers with at least one kept touch)."""
        return int(self.path_start.size)

    @property
    def n_conversions(self) -> int:
        """Converting paths: the conversions every model credits."""
        return int(np.count_nonzero(self.converted))

    @property
    def n_non_converting(self) -> int:
        """Paths that do not convert (used by the data-driven models)."""
        return self.n_paths - self.n_conversions

    @property
    def n_touches(self) -> int:
        """Touches kept in the paths."""
        return int(self.touch_channel.size)

    @property
    def n_converting_touches(self) -> int:
        """Touches on converting paths: the first this many of the ``touch_*`` arrays."""
        n = self.n_conversions
        return self.n_touches if n == self.n_paths else int(self.path_start[n])

    @property
    def converted_value(self) -> float:
        """Total value of the converting paths: what every model distributes."""
        return float(self.value.sum())

    def __repr__(self) -> str:
        return (
            f"TouchpointPaths(paths={self.n_paths:,}, conversions={self.n_conversions:,}, "
            f"touches={self.n_touches:,}, channels={len(self.channels)})"
        )


def _channel_codes(
    labels: npt.NDArray[Any], given: tuple[str, ...] | None
) -> tuple[IntArray, tuple[str, ...]]:
    text = labels.astype(str, copy=False)
    groups = factorize(text)
    found = tuple(str(u) for u in groups.uniques)
    if given is None:
        return groups.codes, found
    lookup = {name: i for i, name in enumerate(given)}
    mapped = np.array([lookup.get(u, -1) for u in found], dtype=np.int64)
    codes = mapped[groups.codes]
    bad = np.flatnonzero(codes < 0)
    if bad.size:
        raise InputError.for_rows(
            "channel",
            "must hold only the channels given in 'channels'",
            positions=bad[:5].tolist(),
            values=[str(text[p]) for p in bad[:5]],
            n_bad=int(bad.size),
            function=_FN,
            hint=f"The channels given are {list(given)}; add the missing ones or fix the labels.",
        )
    return codes, given


def _join_ids(
    touch: npt.NDArray[Any], conv: npt.NDArray[Any]
) -> tuple[IntArray, IntArray, npt.NDArray[Any]]:
    if (touch.dtype.kind == "U") != (conv.dtype.kind == "U") and touch.size and conv.size:
        raise InputError(
            f"The customer ids of the touchpoints and the conversions given to {_FN} must be "
            f"of one kind; got {touch.dtype} and {conv.dtype}.",
            field="customer",
            hint="Convert both id columns to strings (or both to ints) first.",
        )
    groups = factorize(np.concatenate([touch, conv]))
    return groups.codes[: touch.size], groups.codes[touch.size :], groups.uniques


def _sort_touches(code: IntArray, micros: IntArray) -> IntArray | None:
    """Order of the touches by customer then time, or None when they are already in order."""
    if code.size < 2:
        return None
    step = code[1:] - code[:-1]
    ordered = (step > 0) | ((step == 0) & (micros[1:] >= micros[:-1]))
    if bool(ordered.all()):
        return None
    return np.lexsort((micros, code)).astype(np.int64)


def _milestone(column: object | None, n: int, *, field: str) -> npt.NDArray[np.int64] | None:
    if column is None:
        return None
    values = as_datetime(column, field=field, function=_FN).values
    if values.size != n:
        raise InputError(
            f"The {field!r} column of {_FN} must have one value per conversion ({n}); "
            f"got {values.size}.",
            field=field,
        )
    return values.view(np.int64)


def touchpoint_paths(
    touchpoints: object,
    conversions: object,
    *,
    lookback_days: float | None,
    channels: Sequence[str] | None = None,
    customer: str = "customer",
    timestamp: str = "timestamp",
    channel: str = "channel",
    value: str = "value",
    lead_created: str | None = None,
    opportunity_created: str | None = None,
) -> TouchpointPaths:
    """Build the customer paths every attribution model reads: validated, joined, windowed.

    Parameters
    ----------
    touchpoints : DataFrame-like or mapping of str to array_like
        One row per touch: customer (or journey) id, timestamp and channel
        (or campaign) label.
    conversions : DataFrame-like or mapping of str to array_like
        One row per converting customer: id, conversion timestamp, value
        (money, >= 0) and, for the milestone models, when the lead and the
        opportunity were created.
    lookback_days : float or None
        Only touches within this many days before the conversion count (for
        paths that do not convert: before their last touch); ``None`` (or a
        window longer than the dates can span) keeps every touch. No default:
        the window changes every credit.
    channels : sequence of str, optional
        The known channels, in the order results list them; a touch with
        another label is an error. Default: the labels found, sorted.
    customer, timestamp : str
        Column names of the id and the time in both tables.
    channel : str
        Column name of the channel in ``touchpoints``.
    value : str
        Column name of the conversion value in ``conversions``.
    lead_created, opportunity_created : str, optional
        Column names of the milestone dates in ``conversions`` (both or
        neither); needed by :class:`WShaped` and :class:`FullPath`.

    Returns
    -------
    TouchpointPaths
        Kept touches in path order, and counts of everything left out.

    Raises
    ------
    InputError
        For a missing column, null or unparseable values, a negative or
        non-finite value, a ``lookback_days`` <= 0, a channel outside
        ``channels``, two conversions of one customer, ids of different kinds
        in the two tables, or a conversion with no touch at or before it
        ("dated before any of its touchpoints"; the conversion rows are named).

    Notes
    -----
    What is left out is counted, never dropped silently:

    * touches after their customer's conversion are not part of the path
      (``n_touches_after_conversion``);
    * touches more than ``lookback_days`` before the conversion are left out
      (``n_touches_outside_lookback``); a conversion left with no touch has
      no path and its value stays unattributed
      (``n_conversions_outside_lookback``, ``unattributed_value``);
    * paths that never convert are kept: the data-driven models learn from
      them; the rule-based models give them no credit.

    One conversion per customer: for repeat conversions, give each journey
    its own id (e.g. customer and conversion number). A touch at exactly the
    conversion time belongs to the path.

    Examples
    --------
    >>> touches = {
    ...     "customer": ["ann", "ann", "ann", "bob"],
    ...     "timestamp": ["2024-01-01", "2024-03-01", "2024-03-09", "2024-02-01"],
    ...     "channel": ["display", "email", "search", "email"],
    ... }
    >>> sales = {"customer": ["ann"], "timestamp": ["2024-03-10"], "value": [900.0]}
    >>> paths = touchpoint_paths(touches, sales, lookback_days=30)
    >>> paths.n_touches, paths.n_touches_outside_lookback, paths.n_non_converting
    (3, 1, 1)
    """
    lookback = (
        None
        if lookback_days is None
        else number(lookback_days, name="lookback_days", function=_FN, low=0.0, low_open=True)
    )
    given = None if channels is None else names(channels, name="channels", function=_FN)
    for field, col in (
        ("lead_created", lead_created),
        ("opportunity_created", opportunity_created),
    ):
        if col is not None and not isinstance(col, str):
            raise InputError.for_parameter(field, "a column name or None", col, function=_FN)
    if (lead_created is None) != (opportunity_created is None):
        raise InputError.for_parameter(
            "opportunity_created" if lead_created is not None else "lead_created",
            "given together with the other milestone column (or both None)",
            None,
            function=_FN,
        )
    tp = read_mapped(
        touchpoints,
        {"customer": customer, "timestamp": timestamp, "channel": channel},
        field="touchpoints",
        function=_FN,
    )
    conv_map = {"customer": customer, "timestamp": timestamp, "value": value}
    if lead_created is not None and opportunity_created is not None:
        conv_map |= {"lead_created": lead_created, "opportunity_created": opportunity_created}
    cv = read_mapped(conversions, conv_map, field="conversions", function=_FN)
    t_ids = as_ids(tp["customer"], field="customer", function=_FN)
    t_time = as_datetime(tp["timestamp"], field="timestamp", function=_FN).values
    t_code_channel, channel_names = _channel_codes(
        as_ids(tp["channel"], field="channel", function=_FN), given
    )
    c_ids = as_ids(cv["customer"], field="customer", function=_FN)
    c_time = as_datetime(cv["timestamp"], field="timestamp", function=_FN).values.view(np.int64)
    c_value = as_finite_float(cv["value"], field="value", function=_FN, minimum=0.0)
    lead = _milestone(cv.get("lead_created"), c_ids.size, field="lead_created")
    opp = _milestone(cv.get("opportunity_created"), c_ids.size, field="opportunity_created")
    c_groups = factorize(c_ids)
    if c_groups.n_groups != c_ids.size:
        counts = bincount(c_groups.codes, minlength=c_groups.n_groups)
        dup = np.flatnonzero(counts[c_groups.codes] > 1)
        raise InputError.for_rows(
            "customer",
            "must hold each customer once in the conversions",
            positions=dup[:5].tolist(),
            values=[c_ids[p] for p in dup[:5]],
            n_bad=int(dup.size),
            function=_FN,
            hint="One conversion per path: give repeat conversions their own journey ids.",
        )
    if t_ids.size == 0 and c_ids.size:
        raise InputError(
            f"The touchpoints given to {_FN} are empty, but {c_ids.size:,} conversions need "
            "touches to be attributed to.",
            field="touchpoints",
            hint="Pass the touchpoint table the conversions come from.",
        )
    t_code, c_code, uniques = _join_ids(t_ids, c_ids)
    micros = t_time.view(np.int64)
    order = _sort_touches(t_code, micros)
    if order is not None:
        t_code, micros, t_code_channel = t_code[order], micros[order], t_code_channel[order]
    conv_of = np.full(int(uniques.size), -1, dtype=np.int64)
    conv_of[c_code] = np.arange(c_ids.size)
    touch_conv = conv_of[t_code]
    has_conv = touch_conv >= 0
    never = np.iinfo(np.int64).max
    conv_at = (
        np.where(has_conv, c_time[np.maximum(touch_conv, 0)], never)
        if c_time.size
        else np.full(touch_conv.size, never)
    )
    after = has_conv & (micros > conv_at)
    before_count = bincount(touch_conv[has_conv & ~after], minlength=c_ids.size)
    orphan = np.flatnonzero(before_count == 0)
    if orphan.size:
        raise InputError.for_rows(
            "timestamp",
            "must not date a conversion before every touchpoint of its customer (or give "
            "a conversion without touchpoints)",
            positions=orphan[:5].tolist(),
            values=[c_ids[p] for p in orphan[:5]],
            n_bad=int(orphan.size),
            function=_FN,
            kind="conversions' column",
            hint="Every conversion needs at least one touch at or before it; check the ids "
            "and time zones of both tables.",
        )
    outside = np.zeros(micros.size, dtype=bool)
    if lookback is not None and lookback * _US_PER_DAY < _LONGEST_WINDOW_US:
        window = round(lookback * _US_PER_DAY)
        # touches are sorted by customer then time: a customer's last touch ends its run
        ends = np.flatnonzero(np.append(t_code[1:] != t_code[:-1], True))
        runs = np.diff(np.append(-1, ends))
        last = np.repeat(micros[ends], runs)
        reference = np.where(has_conv, conv_at, last)
        outside = ~after & (micros < reference - window)
    keep = ~after & ~outside
    kept_count = bincount(touch_conv[has_conv & keep], minlength=c_ids.size)
    lost = kept_count == 0
    t_code, micros, t_code_channel = t_code[keep], micros[keep], t_code_channel[keep]
    touch_conv = touch_conv[keep]
    n = t_code.size
    new_path = np.empty(n, dtype=bool)
    if n:
        new_path[0] = True
        np.not_equal(t_code[1:], t_code[:-1], out=new_path[1:])
    start = np.flatnonzero(new_path).astype(np.int64)
    length = np.diff(np.append(start, n)).astype(np.int64)
    path_conv = touch_conv[start] if n else np.zeros(0, dtype=np.int64)
    lead_pos = _milestone_position(lead, micros, start, length, path_conv)
    opp_pos = _milestone_position(opp, micros, start, length, path_conv)
    # converting paths first (each group by customer): the credited touches are a prefix
    converted = path_conv >= 0
    order = np.concatenate([np.flatnonzero(converted), np.flatnonzero(~converted)])
    length = length[order]
    new_start = np.cumsum(length) - length
    touch_order = np.repeat(start[order] - new_start, length) + np.arange(n, dtype=np.int64)
    t_code, micros, t_code_channel = (
        t_code[touch_order],
        micros[touch_order],
        t_code_channel[touch_order],
    )
    start = new_start.astype(np.int64)
    path_conv = path_conv[order]
    converted = converted[order]
    lead_pos, opp_pos = lead_pos[order], opp_pos[order]
    touch_path = np.repeat(np.arange(start.size, dtype=np.int64), length)
    position = np.arange(n, dtype=np.int64) - np.repeat(start, length)
    conv_time = _of_conversion(c_time, path_conv, np.iinfo(np.int64).min).view("M8[us]")
    values = _of_conversion(c_value, path_conv, 0.0)
    return TouchpointPaths(
        channels=channel_names,
        path_customer=as_readonly(uniques[t_code[start]] if n else uniques[:0]),
        path_start=as_readonly(start),
        path_length=as_readonly(length),
        converted=as_readonly(converted),
        value=as_readonly(values.astype(np.float64)),
        conversion_time=as_readonly(np.where(converted, conv_time, _NAT)),
        lead_position=as_readonly(lead_pos),
        opportunity_position=as_readonly(opp_pos),
        touch_channel=as_readonly(t_code_channel.astype(np.int64, copy=False)),
        touch_time=as_readonly(micros.view("M8[us]")),
        touch_path=as_readonly(touch_path),
        touch_position=as_readonly(position),
        touch_value=as_readonly(values.astype(np.float64)[touch_path]),
        lookback_days=lookback,
        n_touch_rows=int(t_ids.size),
        n_touches_after_conversion=int(np.count_nonzero(after)),
        n_touches_outside_lookback=int(np.count_nonzero(outside)),
        n_conversions_outside_lookback=int(np.count_nonzero(lost)),
        unattributed_value=float(c_value[lost].sum()),
        has_milestones=lead is not None,
    )


def _of_conversion(values: npt.NDArray[Any], conversion: IntArray, fill: float) -> npt.NDArray[Any]:
    """Return the value of each row's conversion, *fill* where it has none (-1)."""
    if values.size == 0:
        return np.full(conversion.size, fill, dtype=values.dtype)
    return np.where(conversion >= 0, values[np.maximum(conversion, 0)], fill)


def _milestone_position(
    milestone: IntArray | None,
    micros: IntArray,
    start: IntArray,
    length: IntArray,
    path_conv: IntArray,
) -> IntArray:
    """Position of the last kept touch at or before each converting path's milestone (-1: none)."""
    out = np.full(start.size, -1, dtype=np.int64)
    if milestone is None or start.size == 0:
        return out
    path = np.repeat(np.arange(start.size), length)
    conv = path_conv[path]
    at = _of_conversion(milestone, conv, np.iinfo(np.int64).min)
    # touches are in time order within a path, so those at or before the milestone are a prefix
    count = bincount(path, weights=micros <= at, minlength=start.size).astype(np.int64)
    hit = (path_conv >= 0) & (count > 0)
    out[hit] = count[hit] - 1
    return out

"""Per-touch credit of the rule-based and milestone models (paths trusted, fully vectorised).

Every function returns one credit per touch of a converting path: the first
``paths.n_converting_touches`` touches, as converting paths come first. The
touches of one conversion sum to exactly 1 (up to rounding). Touches of paths
that do not convert carry no credit and are never visited, so the work grows
with the converting touches only.
"""

from __future__ import annotations

from typing import Final, TypeVar

import attrs
import numpy as np
import numpy.typing as npt

from crmkit._reduce import bincount
from crmkit.roi._attribution._models import (
    FirstTouch,
    FullPath,
    LastNonDirect,
    LastTouch,
    Linear,
    PositionBased,
    TimeDecay,
    WShaped,
)
from crmkit.roi._attribution._paths import TouchpointPaths

__all__ = ["Converting", "RuleModel", "converting", "kernel_view", "rule_credits", "rule_totals"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
_G = TypeVar("_G", bound=np.generic)
RuleModel = (
    FirstTouch | LastTouch | LastNonDirect | Linear | TimeDecay | PositionBased | WShaped | FullPath
)
_US_PER_DAY: Final = 86_400_000_000.0
_SAFE_HALVINGS: Final = 900.0  # 2**-900 is far from float64 underflow


def kernel_view(array: npt.NDArray[_G]) -> npt.NDArray[_G]:
    """Return a writable view of one of the paths' read-only arrays, for numpy kernels only.

    ``np.bincount`` copies (slowly) any read-only input; these views are only
    ever read, so the paths stay unchanged.
    """
    view = array.view()
    view.flags.writeable = True
    return view


@attrs.frozen
class Converting:
    """The converting touches (a prefix of the touch arrays) and their paths."""

    m: int  # converting touches
    path: IntArray  # path of each (a view)
    position: IntArray  # position in its path (a view)
    offsets: IntArray  # start of each converting path (a view)
    lengths: IntArray  # length of each converting path (a view)


def converting(paths: TouchpointPaths) -> Converting:
    """Return views of the converting paths' touches (the first ``n_converting_touches``)."""
    m = paths.n_converting_touches
    k = paths.n_conversions
    return Converting(
        m=m,
        path=kernel_view(paths.touch_path[:m]),
        position=kernel_view(paths.touch_position[:m]),
        offsets=kernel_view(paths.path_start[:k]),
        lengths=kernel_view(paths.path_length[:k]),
    )


def _one_at_index(c: Converting, position: IntArray) -> IntArray:
    index: IntArray = c.offsets + position
    return index


def _one_at(c: Converting, position: IntArray) -> FloatArray:
    """Credit 1 at one position (per converting path) of each path."""
    credit = np.zeros(c.m)
    credit[c.offsets + position] = 1.0
    return credit


def _time_decay(paths: TouchpointPaths, c: Converting, half_life_days: float) -> FloatArray:
    if c.m == 0:
        return np.zeros(0)
    times = paths.touch_time.view(np.int64)[: c.m]
    # weights relative to one reference cancel in the normalisation; the latest touch of
    # all serves unless the half-lives between touches could underflow, then each path's own
    newest = int(times.max())
    scale = -1.0 / (half_life_days * _US_PER_DAY)
    if (newest - int(times.min())) / _US_PER_DAY / half_life_days < _SAFE_HALVINGS:
        exponent = np.subtract(newest, times, dtype=np.float64)
    else:
        exponent = np.subtract(times[c.offsets + c.lengths - 1][c.path], times, dtype=np.float64)
    exponent *= scale
    weight = np.exp2(exponent, out=exponent)
    total = bincount(c.path, weights=weight, minlength=c.offsets.size)
    weight *= (1.0 / total)[c.path]
    return np.asarray(weight, dtype=np.float64)


def _last_non_direct_position(
    paths: TouchpointPaths, c: Converting, direct: tuple[str, ...]
) -> IntArray:
    codes = [i for i, name in enumerate(paths.channels) if name in direct]
    if not codes or c.offsets.size == 0:
        last: IntArray = c.lengths - 1
        return last
    channel = kernel_view(paths.touch_channel[: c.m])
    non_direct = channel != codes[0] if len(codes) == 1 else ~np.isin(channel, codes)
    # the running maximum of the non-direct touches' indices, read at each path's last touch,
    # is the path's last non-direct touch (or an earlier path's: then it has none)
    index = np.where(non_direct, np.arange(c.m), -1)
    np.maximum.accumulate(index, out=index)
    best = index[c.offsets + c.lengths - 1] - c.offsets
    out: IntArray = np.where(best >= 0, best, c.lengths - 1)
    return out


def _roles(c: Converting, roles: list[tuple[IntArray, float]], rest: float) -> FloatArray:
    """Credit of role models: each role's weight to its touch, the other touches share ``rest``.

    *roles* give each converting path's role position (-1: no touch holds the
    role). A touch holding several roles gets all their weights. The weight of
    a role no touch holds (no middle touch, no lead touch) goes to the present
    roles in proportion to theirs; if those weigh nothing, the path is split
    evenly.
    """
    positions = [r for r, _ in roles]
    present = [r >= 0 for r in positions]
    # distinct role touches per path: a role counts unless an earlier role holds its touch
    n_distinct = np.zeros(c.offsets.size, dtype=np.int64)
    for k, (at, has) in enumerate(zip(positions, present, strict=True)):
        new = has.copy()
        for j in range(k):
            new &= ~(present[j] & (positions[j] == at))
        n_distinct += new
    n_rest = c.lengths - n_distinct
    total = np.where(n_rest > 0, rest, 0.0)
    for (_, w), has in zip(roles, present, strict=True):
        total = total + np.where(has, w, 0.0)
    positive = total > 0
    scale = np.where(positive, 1.0 / np.where(positive, total, 1.0), 0.0)
    # every touch starts with the rest share; role touches are reset, then get their weights;
    # absent roles point at a spare slot past the end, dropped at the end
    credit = np.empty(c.m + 1)
    credit[: c.m] = (rest * scale / np.maximum(n_rest, 1))[c.path]
    spare = c.m
    slots = [
        np.where(has, c.offsets + at, spare) for at, has in zip(positions, present, strict=True)
    ]
    for index in slots:
        credit[index] = 0.0
    for (_, w), index in zip(roles, slots, strict=True):
        credit[index] += w * scale
    out = credit[: c.m]
    if not bool(positive.all()):
        spread = ~positive[c.path]
        out[spread] = 1.0 / c.lengths[c.path[spread]]
    return np.asarray(out, dtype=np.float64)


def _milestone(c: Converting, position: IntArray) -> IntArray:
    """Position of a milestone touch within each converting path (-1: none)."""
    out: IntArray = position[: c.offsets.size]
    return out


def rule_credits(paths: TouchpointPaths, model: RuleModel) -> FloatArray:
    """Credit of each converting touch under a rule-based or milestone model."""
    c = converting(paths)
    first = np.zeros(c.offsets.size, dtype=np.int64)
    last = c.lengths - 1
    if isinstance(model, FirstTouch):
        return _one_at(c, first)
    if isinstance(model, LastTouch):
        return _one_at(c, last)
    if isinstance(model, LastNonDirect):
        return _one_at(c, _last_non_direct_position(paths, c, model.direct))
    if isinstance(model, Linear):
        return np.asarray((1.0 / c.lengths)[c.path], dtype=np.float64)
    if isinstance(model, TimeDecay):
        return _time_decay(paths, c, float(model.half_life_days))
    if isinstance(model, PositionBased):
        return _roles(c, [(first, model.first), (last, model.last)], model.middle)
    lead = _milestone(c, paths.lead_position)
    opp = _milestone(c, paths.opportunity_position)
    if isinstance(model, WShaped):
        roles = [(first, model.first), (lead, model.lead), (opp, model.opportunity)]
        return _roles(c, roles, model.rest)
    roles = [(first, model.first), (lead, model.lead), (opp, model.opportunity), (last, model.won)]
    return _roles(c, roles, model.rest)


def rule_totals(
    paths: TouchpointPaths, model: RuleModel, n_channels: int
) -> tuple[FloatArray, FloatArray] | None:
    """Conversions and value per channel without per-touch credits, where a model allows it.

    The one-touch models credit one touch per conversion, and linear credit is
    the same for every touch of a path: their channel totals need no array of
    per-touch credits. Returns None for the other models.
    """
    c = converting(paths)
    k = c.offsets.size
    value = kernel_view(paths.value[:k])
    if isinstance(model, (FirstTouch, LastTouch, LastNonDirect)):
        if isinstance(model, FirstTouch):
            position = np.zeros(k, dtype=np.int64)
        elif isinstance(model, LastTouch):
            position = c.lengths - 1
        else:
            position = _last_non_direct_position(paths, c, model.direct)
        channel = paths.touch_channel[_one_at_index(c, position)]  # a fresh array
        conversions = bincount(channel, minlength=n_channels).astype(np.float64)
        worth = bincount(channel, weights=value, minlength=n_channels).astype(np.float64)
        return conversions, worth
    if isinstance(model, Linear):
        share = 1.0 / c.lengths
        channel = kernel_view(paths.touch_channel[: c.m])
        conversions = bincount(channel, weights=share[c.path], minlength=n_channels).astype(
            np.float64
        )
        worth = bincount(channel, weights=(share * value)[c.path], minlength=n_channels).astype(
            np.float64
        )
        return conversions, worth
    return None

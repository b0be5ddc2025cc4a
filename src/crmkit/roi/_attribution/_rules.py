"""Per-touch credit of the rule-based and milestone models (paths trusted, fully vectorised).

Every function returns one credit per kept touch; the touches of a converting
path sum to exactly 1 (up to rounding) and those of other paths are 0.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import numpy.typing as npt

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

__all__ = ["RuleModel", "rule_credits"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
RuleModel = (
    FirstTouch | LastTouch | LastNonDirect | Linear | TimeDecay | PositionBased | WShaped | FullPath
)
_US_PER_DAY: Final = 86_400_000_000.0


def _at(paths: TouchpointPaths, index: IntArray) -> FloatArray:
    """Credit 1 at one touch per converting path."""
    credit = np.zeros(paths.n_touches)
    credit[index[paths.converted]] = 1.0
    return credit


def _last(paths: TouchpointPaths) -> IntArray:
    out: IntArray = paths.path_start + paths.path_length - 1
    return out


def _linear(paths: TouchpointPaths) -> FloatArray:
    share = np.where(paths.converted, 1.0 / paths.path_length, 0.0)
    return np.asarray(share[paths.touch_path], dtype=np.float64)


def _time_decay(paths: TouchpointPaths, half_life_days: float) -> FloatArray:
    path = paths.touch_path
    conv = paths.converted[path]
    # measured from the path's latest touch, so the largest weight is exactly 1 (no underflow)
    latest = paths.touch_time.view(np.int64)[_last(paths)][path]
    age = (latest - paths.touch_time.view(np.int64)) / _US_PER_DAY
    weight = np.where(conv, np.exp2(-age / half_life_days), 0.0)
    total = np.bincount(path, weights=weight, minlength=paths.n_paths)
    return np.asarray(weight / np.where(total > 0, total, 1.0)[path], dtype=np.float64)


def _last_non_direct(paths: TouchpointPaths, direct: tuple[str, ...]) -> FloatArray:
    codes = [i for i, name in enumerate(paths.channels) if name in direct]
    if not codes:
        return _at(paths, _last(paths))
    non_direct = ~np.isin(paths.touch_channel, codes)
    index = np.where(non_direct, np.arange(paths.n_touches), -1)
    best = np.maximum.reduceat(index, paths.path_start) if paths.n_paths else index[:0]
    return _at(paths, np.where(best >= 0, best, _last(paths)))


def _roles(paths: TouchpointPaths, roles: list[tuple[IntArray, float]], rest: float) -> FloatArray:
    """Credit of role models: each role's touch gets its weight, the other touches share ``rest``.

    A touch holding several roles gets all their weights. The weight of a role
    no touch holds (no middle touch, no lead touch) goes to the present roles
    in proportion to theirs; if those weigh nothing, the path is split evenly.
    """
    p = paths.n_paths
    t = paths.n_touches
    path = paths.touch_path
    conv = paths.converted
    index = np.stack([r for r, _ in roles], axis=1) if roles else np.zeros((p, 0), dtype=np.int64)
    weight = np.array([w for _, w in roles], dtype=np.float64)
    present = (index >= 0) & conv[:, None]
    is_role = np.zeros(t, dtype=bool)
    is_role[index[present]] = True
    n_rest = paths.path_length - np.bincount(path, weights=is_role, minlength=p).astype(np.int64)
    total = (present * weight).sum(axis=1) + np.where(n_rest > 0, rest, 0.0)
    scale = np.where(total > 0, 1.0 / np.where(total > 0, total, 1.0), 0.0)
    credit = np.zeros(t)
    for k in range(index.shape[1]):
        rows = np.flatnonzero(present[:, k])
        credit += np.bincount(index[rows, k], weights=weight[k] * scale[rows], minlength=t)
    rest_share = rest * scale / np.maximum(n_rest, 1)
    others = ~is_role & conv[path]
    credit[others] += rest_share[path[others]]
    even = conv & (total <= 0)
    if even.any():
        spread = even[path]
        credit[spread] = 1.0 / paths.path_length[path[spread]]
    return credit


def rule_credits(paths: TouchpointPaths, model: RuleModel) -> FloatArray:
    """Credit of each kept touch under a rule-based or milestone model."""
    start = paths.path_start
    last = _last(paths)
    if isinstance(model, FirstTouch):
        return _at(paths, start)
    if isinstance(model, LastTouch):
        return _at(paths, last)
    if isinstance(model, LastNonDirect):
        return _last_non_direct(paths, model.direct)
    if isinstance(model, Linear):
        return _linear(paths)
    if isinstance(model, TimeDecay):
        return _time_decay(paths, float(model.half_life_days))
    if isinstance(model, PositionBased):
        return _roles(paths, [(start, model.first), (last, model.last)], model.middle)
    lead, opp = paths.lead_touch, paths.opportunity_touch
    if isinstance(model, WShaped):
        roles = [(start, model.first), (lead, model.lead), (opp, model.opportunity)]
        return _roles(paths, roles, model.rest)
    roles = [(start, model.first), (lead, model.lead), (opp, model.opportunity), (last, model.won)]
    return _roles(paths, roles, model.rest)

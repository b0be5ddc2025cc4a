"""Data-driven channel weights: Markov removal effects and Shapley values (paths trusted).

The paths become an absorbing Markov chain: a start state, one state per
channel (or per run of the last ``order`` channels), and the absorbing states
*conversion* and *null*. Transition probabilities are the observed transition
counts, row-normalised. Absorption probabilities come from
:func:`crmkit.lifecycle.absorption` (the fundamental matrix ``N = (I - Q)^-1``),
so the chain algebra lives in one place.
"""

from __future__ import annotations

import math
from typing import Final

import numpy as np
import numpy.typing as npt

from crmkit._groups import factorize
from crmkit._params import work_limit
from crmkit._reduce import bincount
from crmkit.errors import TooManyChannelsError
from crmkit.lifecycle import TransitionMatrix, absorption
from crmkit.roi._attribution._models import SHAPLEY_MAX_CHANNELS
from crmkit.roi._attribution._paths import TouchpointPaths
from crmkit.roi._attribution._rules import kernel_view

__all__ = ["Chain", "channels_seen", "markov_chain", "removal_effects", "shapley_values"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

SOLVE_LIMIT: Final = 20_000_000_000
"""Most state-solve operations, (channels + 1) x (states + 3)**3, a Markov attribution may ask."""


class Chain:
    """The transition matrix of the paths and which channels each state holds."""

    __slots__ = ("member", "probabilities")

    def __init__(self, probabilities: FloatArray, member: BoolArray) -> None:
        self.probabilities = probabilities  # (S + 3, S + 3): start, states, conversion, null
        self.member = member  # (S, C): state s contains channel c

    @property
    def n_states(self) -> int:
        """Transient channel states (the start state not counted)."""
        return int(self.member.shape[0])


def channels_seen(paths: TouchpointPaths) -> BoolArray:
    """Which channels appear in at least one kept touch."""
    return bincount(kernel_view(paths.touch_channel), minlength=len(paths.channels)) > 0


def _state_codes(paths: TouchpointPaths, order: int) -> tuple[IntArray, IntArray, int]:
    """Each touch's state as a base-(C + 1) code of its last ``order`` channels (0 pads)."""
    base = len(paths.channels) + 1
    pos = paths.touch_position
    code = paths.touch_channel + 1
    for lag in range(1, order):
        earlier = np.zeros(paths.n_touches, dtype=np.int64)
        ok = pos >= lag
        earlier[lag:][ok[lag:]] = paths.touch_channel[:-lag][ok[lag:]] + 1
        code = code + earlier * base**lag
    groups = factorize(code)
    return groups.codes, groups.uniques.astype(np.int64), base


def markov_chain(paths: TouchpointPaths, order: int, *, function: str) -> Chain:
    """Build the absorbing chain of *paths* with states of the last *order* channels."""
    n_channels = len(paths.channels)
    state, codes, base = _state_codes(paths, order)
    n_states = int(codes.size)
    work_limit(
        (n_channels + 1) * (n_states + 3) ** 3,
        limit=SOLVE_LIMIT,
        name="order",
        function=function,
        what="state-solve operations ((channels + 1) x (states + 3)^3)",
    )
    member = np.zeros((n_states, n_channels), dtype=bool)
    rest = codes.copy()
    for _ in range(order):
        digit = rest % base
        has = digit > 0
        member[np.flatnonzero(has), digit[has] - 1] = True
        rest //= base
    size = n_states + 3
    start, conversion, null = 0, n_states + 1, n_states + 2
    node = state + 1
    source = np.where(paths.touch_position == 0, start, np.roll(node, 1))
    last = paths.path_start + paths.path_length - 1
    end_from = node[last]
    end_to = np.where(paths.converted, conversion, null)
    pairs = np.concatenate([source * size + node, end_from * size + end_to])
    counts = bincount(pairs, minlength=size * size).reshape(size, size).astype(np.float64)
    counts[conversion, conversion] = 1.0
    counts[null, null] = 1.0
    rows = counts.sum(axis=1)
    empty = rows == 0  # the start state of paths that are all outside the window
    counts[empty, null] = 1.0
    rows[empty] = 1.0
    probabilities = counts / rows[:, None]
    return Chain(probabilities, member)


def _conversion_probability(P: FloatArray) -> float:
    size = P.shape[0]
    stages = [str(i) for i in range(size)]
    matrix = TransitionMatrix.from_probabilities(P, stages=stages)
    result = absorption(matrix, absorbing=stages[-2:])
    return float(result.probabilities[0, 0])  # from the start state into conversion


def _without(P: FloatArray, removed: BoolArray) -> FloatArray:
    """Return the chain with every state in *removed* (of the transient ones) sent to null."""
    out = P.copy()
    cols = np.flatnonzero(removed) + 1
    out[:, -1] += out[:, cols].sum(axis=1)
    out[:, cols] = 0.0
    out[cols, :] = 0.0
    out[cols, -1] = 1.0
    return out


def removal_effects(chain: Chain) -> tuple[FloatArray, float]:
    """Return the removal effect of each channel and the chain's conversion probability.

    ``RE_c = 1 - P(conversion | c removed) / P(conversion)``; 0 for channels
    no state holds.
    """
    P = chain.probabilities
    base = _conversion_probability(P)
    n_channels = chain.member.shape[1]
    effect = np.zeros(n_channels)
    if base <= 0:
        return effect, base
    for c in range(n_channels):
        holds = chain.member[:, c]
        if holds.any():
            effect[c] = 1.0 - _conversion_probability(_without(P, holds)) / base
    return np.clip(effect, 0.0, 1.0), base


def shapley_values(paths: TouchpointPaths, *, function: str) -> tuple[FloatArray, float]:
    """Exact Shapley value of each channel (in conversions) and the grand coalition's value.

    ``v(S) = n_paths x P(conversion)`` in the first-order chain where only the
    channels in ``S`` exist (the others lead to null), so ``v`` of all
    channels is the conversions of the paths and ``v`` of none is 0.
    """
    seen = np.flatnonzero(channels_seen(paths))
    n = int(seen.size)
    if n > SHAPLEY_MAX_CHANNELS:
        shown = [paths.channels[i] for i in seen[:5]]
        raise TooManyChannelsError(
            f"Shapley attribution in {function} enumerates every subset of channels exactly "
            f"(2**n of them) and is limited to {SHAPLEY_MAX_CHANNELS} channels; the paths have "
            f"{n} ({shown}, ...).",
            field="model",
            hint="Group rare channels into one (or attribute by channel group), or use "
            "MarkovChain(), which grows linearly with the channels.",
        )
    if n == 0:  # no touch at all: nothing to share
        return np.zeros(len(paths.channels)), 0.0
    chain = markov_chain(paths, 1, function=function)
    P = chain.probabilities
    # first order: each state holds one channel; its bit in the subset masks
    bit_of_channel = np.full(len(paths.channels), -1, dtype=np.int64)
    bit_of_channel[seen] = np.arange(n)
    state_bit = bit_of_channel[np.argmax(chain.member, axis=1)]
    masks = np.arange(1 << n)
    value = np.zeros(1 << n)
    for mask in masks[1:].tolist():
        kept = (mask >> state_bit) & 1 == 1
        value[mask] = paths.n_paths * _conversion_probability(_without(P, ~kept))
    size = np.array([m.bit_count() for m in masks.tolist()])
    weight = np.array(
        [math.factorial(k) * math.factorial(n - k - 1) / math.factorial(n) for k in range(n)]
    )
    phi = np.zeros(len(paths.channels))
    for i in range(n):
        without_i = masks[(masks >> i) & 1 == 0]
        gain = value[without_i | (1 << i)] - value[without_i]
        phi[seen[i]] = float(np.sum(weight[size[without_i]] * gain))
    return phi, float(value[-1])

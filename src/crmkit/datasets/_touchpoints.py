"""Simulated customer journeys from a known absorbing Markov chain over channels."""

from __future__ import annotations

import types
from collections.abc import Mapping
from typing import Any, Final

import attrs
import numpy as np
import numpy.typing as npt

from crmkit._input import DATETIME_DTYPE, as_readonly, scalar_datetime
from crmkit._params import SeedLike, as_generator, integer, number, probability, work_limit
from crmkit._reduce import bincount
from crmkit._results import frozen_mapping
from crmkit.errors import InputError
from crmkit.lifecycle import TransitionMatrix, absorption

__all__ = ["CHANNELS", "SimulatedTouchpoints", "channel_chain", "simulate_touchpoints"]

_FN: Final = "simulate_touchpoints"
_US_PER_DAY: Final = 86_400_000_000
_MAX_STEPS: Final = 10_000
_MAX_CUSTOMERS: Final = 50_000_000

CHANNELS: Final = types.MappingProxyType(
    {
        "web": (0.30, 0.02, 0.16),
        "email": (0.20, 0.05, 0.12),
        "event": (0.15, 0.10, 0.12),
        "referral": (0.10, 0.15, 0.08),
        "outbound": (0.25, 0.01, 0.20),
    }
)
"""Default channels: name -> (share of traffic, P(convert) after a touch, P(leave) after it).

About five touches per journey and one journey in four converting."""

FloatArray = npt.NDArray[np.float64]


@attrs.frozen(kw_only=True, repr=False)
class SimulatedTouchpoints:
    """Simulated journeys with the truth behind them: the chain that generated them.

    Attributes
    ----------
    touchpoints : mapping of str to ndarray
        ``customer``, ``timestamp``, ``channel``: one row per touch, by
        customer then time.
    conversions : mapping of str to ndarray
        ``customer``, ``timestamp``, ``value``, ``lead_created``,
        ``opportunity_created``: one row per converting customer.
    channels : tuple of str
        The channels (sorted).
    transition : ndarray of float64, shape (C + 3, C + 3)
        The true chain: start, the channels, conversion, null.
    true_conversion_probability : float
        P(conversion) of a journey under the true chain.
    true_removal_effect : ndarray of float64, shape (C,)
        Share of conversions lost if the channel did not exist (customers
        who would have reached it drop out): the quantity
        :class:`crmkit.roi.MarkovChain` estimates.
    true_incremental : ndarray of float64, shape (C,)
        ``n_customers x P(conversion) x true_removal_effect``: the expected
        conversions the channel is responsible for in that sense.

    Examples
    --------
    >>> sim = simulate_touchpoints(500, "2024-01-01", "2024-07-01", seed=1)
    >>> sim.channels
    ('email', 'event', 'outbound', 'referral', 'web')
    """

    touchpoints: Mapping[str, npt.NDArray[Any]] = attrs.field(converter=frozen_mapping)
    conversions: Mapping[str, npt.NDArray[Any]] = attrs.field(converter=frozen_mapping)
    channels: tuple[str, ...]
    transition: FloatArray
    true_conversion_probability: float
    true_removal_effect: FloatArray
    true_incremental: FloatArray

    def __repr__(self) -> str:
        n_touch = int(np.asarray(self.touchpoints["customer"]).size)
        n_conv = int(np.asarray(self.conversions["customer"]).size)
        return f"SimulatedTouchpoints(touches={n_touch:,}, conversions={n_conv:,})"


def channel_chain(
    channels: Mapping[str, tuple[float, float, float]], *, function: str = _FN
) -> tuple[tuple[str, ...], FloatArray]:
    """Check channel specs and build their chain: start, channels (sorted), conversion, null.

    From the start a journey enters channel ``c`` with probability ``share_c``;
    after a touch of ``c`` it converts with ``conversion_c``, leaves with
    ``exit_c``, and otherwise moves to a channel drawn by share.
    """
    if not isinstance(channels, Mapping):
        raise InputError.for_parameter(
            "channels",
            "a mapping of name to (share, conversion, exit)",
            type(channels).__name__,
            function=function,
        )
    if not channels:
        raise InputError.for_parameter("channels", "a non-empty mapping", {}, function=function)
    names = tuple(sorted(str(k) for k in channels))
    c = len(names)
    share = np.empty(c)
    convert = np.empty(c)
    leave = np.empty(c)
    for i, name in enumerate(names):
        spec: object = channels[name]
        if not isinstance(spec, (tuple, list)) or len(spec) != 3:
            raise InputError.for_parameter(
                f"channels[{name!r}]", "a (share, conversion, exit) triple", spec, function=function
            )
        share[i] = number(
            spec[0], name=f"channels[{name!r}] share", function=function, low=0.0, low_open=True
        )
        convert[i] = probability(spec[1], name=f"channels[{name!r}] conversion", function=function)
        leave[i] = probability(spec[2], name=f"channels[{name!r}] exit", function=function)
        if convert[i] + leave[i] <= 0 or convert[i] + leave[i] > 1:
            raise InputError.for_parameter(
                f"channels[{name!r}]",
                "conversion + exit in (0, 1] (journeys must end)",
                spec,
                function=function,
            )
    share /= share.sum()
    size = c + 3
    P = np.zeros((size, size))
    P[0, 1 : c + 1] = share
    stay = 1.0 - convert - leave
    P[1 : c + 1, 1 : c + 1] = stay[:, None] * share[None, :]
    P[1 : c + 1, c + 1] = convert
    P[1 : c + 1, c + 2] = leave
    P[c + 1, c + 1] = 1.0
    P[c + 2, c + 2] = 1.0
    return names, P


def _p_convert(P: FloatArray) -> float:
    """P(conversion) from the start, by the absorbing-chain algebra of crmkit.lifecycle."""
    stages = [str(i) for i in range(P.shape[0])]
    matrix = TransitionMatrix.from_probabilities(P, stages=stages)
    return float(absorption(matrix, absorbing=stages[-2:]).probabilities[0, 0])


def simulate_touchpoints(
    n_customers: int,
    start: object,
    end: object,
    *,
    seed: SeedLike,
    channels: Mapping[str, tuple[float, float, float]] = CHANNELS,
    mean_gap_days: float = 6.0,
    mean_value: float = 400.0,
) -> SimulatedTouchpoints:
    r"""Simulate customer journeys from a known Markov chain over channels, to check attribution.

    A journey starts in a channel drawn by its share of traffic; after each
    touch of channel ``c`` the customer converts with probability
    ``conversion_c``, leaves with ``exit_c``, or moves on to another touch
    (channel drawn by share), days later (exponential gaps). Journeys start
    uniformly within ``[start, end)`` and are squeezed to fit in it. The lead
    is created at the touch a third of the way through a converting journey,
    the opportunity two thirds of the way; conversions follow the last touch
    by up to two days.

    Parameters
    ----------
    n_customers : int
        Journeys, >= 1.
    start, end : date-like
        The window every touch falls in.
    seed : int, numpy.random.SeedSequence or numpy.random.Generator
        Source of randomness; the same seed gives the same journeys.
    channels : mapping of str to (float, float, float)
        Channel -> (share of traffic > 0, P(convert) after a touch, P(leave)
        after a touch), with conversion + exit in (0, 1]; default
        :data:`CHANNELS`.
    mean_gap_days : float
        Mean days between touches, > 0.
    mean_value : float
        Mean conversion value (log-normal), > 0.

    Returns
    -------
    SimulatedTouchpoints
        Touchpoints, conversions and the true chain with its removal effects.

    Raises
    ------
    InputError
        For a parameter outside its range or an empty window.

    Notes
    -----
    With the true chain's fundamental matrix :math:`N = (I - Q)^{-1}`, the
    truth is :math:`P(\text{conv}) = (N R)_{\text{start}}` and, for each
    channel, the removal effect of the chain with that channel sent to null:
    the counterfactual the Markov attribution model assumes, so its estimate
    converges to it as journeys grow in number.

    Examples
    --------
    >>> sim = simulate_touchpoints(20_000, "2024-01-01", "2025-01-01", seed=3)
    >>> sim.channels[int(np.argmax(sim.true_removal_effect))]
    'web'
    >>> round(sim.true_conversion_probability, 3)
    0.2
    """
    n = integer(n_customers, name="n_customers", function=_FN, minimum=1)
    t0 = scalar_datetime(start, field="start", function=_FN)
    t1 = scalar_datetime(end, field="end", function=_FN)
    if t1 <= t0:
        raise InputError.for_parameter("end", f"after start ({t0})", str(t1), function=_FN)
    names, P = channel_chain(channels)
    work_limit(n, limit=_MAX_CUSTOMERS, name="n_customers", function=_FN, what="journeys")
    gap_mean = number(mean_gap_days, name="mean_gap_days", function=_FN, low=0.0, low_open=True)
    value_mean = number(mean_value, name="mean_value", function=_FN, low=0.0, low_open=True)
    rng = as_generator(seed, function=_FN)
    c = len(names)
    share = P[0, 1 : c + 1]
    convert = P[1 : c + 1, c + 1]
    leave = P[1 : c + 1, c + 2]
    # walk every journey one touch at a time, all journeys at once
    owner_parts: list[npt.NDArray[np.int64]] = []
    channel_parts: list[npt.NDArray[np.int64]] = []
    active = np.arange(n)
    current = rng.choice(c, size=n, p=share)
    converted = np.zeros(n, dtype=bool)
    for _ in range(_MAX_STEPS):
        owner_parts.append(active)
        channel_parts.append(current)
        u = rng.random(active.size)
        done_conv = u < convert[current]
        done_exit = ~done_conv & (u < convert[current] + leave[current])
        converted[active[done_conv]] = True
        going = ~(done_conv | done_exit)
        active = active[going]
        if active.size == 0:
            break
        current = rng.choice(c, size=active.size, p=share)
    owner = np.concatenate(owner_parts)
    channel = np.concatenate(channel_parts)
    order = np.argsort(owner, kind="stable")  # steps were appended in time order
    owner, channel = owner[order], channel[order]
    k = bincount(owner, minlength=n)
    first = np.cumsum(k) - k
    total = owner.size
    window = float((t1 - t0).astype(np.int64)) / _US_PER_DAY
    gaps = rng.exponential(gap_mean, size=total)
    gaps[first] = 0.0
    cum = np.cumsum(gaps)
    offset = cum - np.repeat(cum[first], k)
    lag = rng.uniform(0.1, 2.0, size=n)
    span = offset[first + k - 1] + lag
    squeeze = np.minimum(1.0, 0.98 * window / np.maximum(span, 1e-9))
    begin = rng.uniform(0.0, 1.0, size=n) * np.maximum(window - span * squeeze, 0.0)
    day = begin[owner] + offset * squeeze[owner]
    conversion_day = begin + span * squeeze

    def to_time(days: FloatArray) -> npt.NDArray[np.datetime64]:
        return (t0 + (days * _US_PER_DAY).astype(np.int64).astype("m8[us]")).astype(DATETIME_DTYPE)

    ids = np.arange(1, n + 1, dtype=np.int64)
    conv = np.flatnonzero(converted)
    values = np.round(value_mean * np.exp(rng.normal(-0.5 * 0.6**2, 0.6, size=n)), 2)
    base = _p_convert(P)
    removal = np.empty(c)
    for i in range(c):
        Pi = P.copy()
        Pi[:, c + 2] += Pi[:, i + 1]
        Pi[:, i + 1] = 0.0
        Pi[i + 1, :] = 0.0
        Pi[i + 1, c + 2] = 1.0
        removal[i] = 1.0 - _p_convert(Pi) / base
    return SimulatedTouchpoints(
        touchpoints={
            "customer": as_readonly(ids[owner]),
            "timestamp": as_readonly(to_time(day)),
            "channel": as_readonly(np.array(names, dtype=str)[channel]),
        },
        conversions={
            "customer": as_readonly(ids[conv]),
            "timestamp": as_readonly(to_time(conversion_day[conv])),
            "value": as_readonly(values[conv]),
            "lead_created": as_readonly(to_time(day[(first + k // 3)[conv]])),
            "opportunity_created": as_readonly(to_time(day[(first + (2 * k) // 3)[conv]])),
        },
        channels=names,
        transition=as_readonly(P),
        true_conversion_probability=base,
        true_removal_effect=as_readonly(removal),
        true_incremental=as_readonly(n * base * removal),
    )

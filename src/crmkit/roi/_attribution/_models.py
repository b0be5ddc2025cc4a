"""Attribution models as values: which touch of a path earns how much of its conversion."""

from __future__ import annotations

import math
from typing import Final

import attrs

from crmkit._params import integer, names, number
from crmkit.errors import InputError

__all__ = [
    "SHAPLEY_MAX_CHANNELS",
    "AttributionModel",
    "FirstTouch",
    "FullPath",
    "LastNonDirect",
    "LastTouch",
    "Linear",
    "MarkovChain",
    "PositionBased",
    "Shapley",
    "TimeDecay",
    "WShaped",
]

SHAPLEY_MAX_CHANNELS: Final = 15
"""Most channels :class:`Shapley` enumerates exactly (2**15 = 32,768 channel subsets)."""

_WEIGHT_TOL: Final = 1e-9


def _check_weights(model: str, weights: dict[str, float]) -> None:
    for key, value in weights.items():
        number(value, name=key, function=model, low=0.0, hint="Weights are shares of one.")
    total = math.fsum(weights.values())
    if abs(total - 1.0) > _WEIGHT_TOL:
        shown = ", ".join(f"{k}={v:g}" for k, v in weights.items())
        raise InputError(
            f"The weights of {model} must be non-negative and sum to 1; got {shown} "
            f"(sum {total:g}).",
            field="weights",
            hint="Each weight is the share of a conversion its touch earns.",
        )


@attrs.frozen(kw_only=True)
class FirstTouch:
    """All credit to the first touch of the path (the channel that found the customer).

    Examples
    --------
    >>> FirstTouch().label
    'first touch'
    """

    @property
    def label(self) -> str:
        """Short name used in tables."""
        return "first touch"


@attrs.frozen(kw_only=True)
class LastTouch:
    """All credit to the last touch before the conversion.

    Examples
    --------
    >>> LastTouch().label
    'last touch'
    """

    @property
    def label(self) -> str:
        """Short name used in tables."""
        return "last touch"


def _direct_names(value: object) -> tuple[str, ...]:
    return names(value, name="direct", function="LastNonDirect", what="channel names")


@attrs.frozen(kw_only=True)
class LastNonDirect:
    """All credit to the last touch not in a "direct" channel (the last touch if all are).

    Attributes
    ----------
    direct : tuple of str
        Channels that carry no credit of their own (typed-in visits, brand
        search); default ``("direct",)``. Names that no touch carries are
        allowed (they then change nothing).

    Examples
    --------
    >>> LastNonDirect(direct=["direct", "brand search"]).direct
    ('direct', 'brand search')
    """

    direct: tuple[str, ...] = attrs.field(default=("direct",), converter=_direct_names)

    @property
    def label(self) -> str:
        """Short name used in tables."""
        return "last non-direct"


@attrs.frozen(kw_only=True)
class Linear:
    """Equal credit to every touch of the path.

    Examples
    --------
    >>> Linear().label
    'linear'
    """

    @property
    def label(self) -> str:
        """Short name used in tables."""
        return "linear"


@attrs.frozen(kw_only=True)
class TimeDecay:
    """Credit halving with every ``half_life_days`` a touch lies before the conversion.

    Attributes
    ----------
    half_life_days : float
        Days after which a touch's weight halves, > 0 (7 is a common choice).

    Examples
    --------
    >>> TimeDecay(half_life_days=7).label
    'time decay (half-life 7 days)'
    >>> TimeDecay(half_life_days=0)
    Traceback (most recent call last):
    ...
    crmkit.errors.InputError: The 'half_life_days' parameter of TimeDecay must be a number > 0. ...
    """

    half_life_days: float

    def __attrs_post_init__(self) -> None:
        number(
            self.half_life_days, name="half_life_days", function="TimeDecay", low=0.0, low_open=True
        )

    @property
    def label(self) -> str:
        """Short name used in tables."""
        return f"time decay (half-life {self.half_life_days:g} days)"


@attrs.frozen(kw_only=True)
class PositionBased:
    """The first and last touches get fixed shares, the touches between share the rest.

    Attributes
    ----------
    first, middle, last : float
        Shares of the first touch, of all middle touches together and of the
        last touch; non-negative, summing to 1 (default 0.4, 0.2, 0.4, the
        "U-shaped" model).

    Examples
    --------
    >>> PositionBased().label
    'position-based 40/20/40'
    >>> PositionBased(first=0.5, middle=0.2, last=0.2)
    Traceback (most recent call last):
    ...
    crmkit.errors.InputError: The weights of PositionBased must be non-negative and sum to 1; ...
    """

    first: float = 0.4
    middle: float = 0.2
    last: float = 0.4

    def __attrs_post_init__(self) -> None:
        _check_weights(
            "PositionBased", {"first": self.first, "middle": self.middle, "last": self.last}
        )

    @property
    def label(self) -> str:
        """Short name used in tables."""
        parts = (self.first, self.middle, self.last)
        return "position-based " + "/".join(f"{100 * p:g}" for p in parts)


@attrs.frozen(kw_only=True)
class WShaped:
    """B2B milestones: first touch, lead creation and opportunity creation, the rest spread.

    Needs paths built with ``lead_created`` and ``opportunity_created``.

    Attributes
    ----------
    first, lead, opportunity : float
        Shares of the first touch and of the touches that created the lead
        and the opportunity (default 0.3 each).
    rest : float
        Share spread equally over every other touch (default 0.1).

    Examples
    --------
    >>> WShaped().label
    'W-shaped'
    """

    first: float = 0.3
    lead: float = 0.3
    opportunity: float = 0.3
    rest: float = 0.1

    def __attrs_post_init__(self) -> None:
        _check_weights(
            "WShaped",
            {
                "first": self.first,
                "lead": self.lead,
                "opportunity": self.opportunity,
                "rest": self.rest,
            },
        )

    @property
    def label(self) -> str:
        """Short name used in tables."""
        return "W-shaped"


@attrs.frozen(kw_only=True)
class FullPath:
    """W-shaped plus the closed-won touch (the last before the conversion).

    Attributes
    ----------
    first, lead, opportunity, won : float
        Shares of the four milestone touches (default 0.225 each).
    rest : float
        Share spread equally over every other touch (default 0.1).

    Examples
    --------
    >>> FullPath().label
    'full path'
    """

    first: float = 0.225
    lead: float = 0.225
    opportunity: float = 0.225
    won: float = 0.225
    rest: float = 0.1

    def __attrs_post_init__(self) -> None:
        _check_weights(
            "FullPath",
            {
                "first": self.first,
                "lead": self.lead,
                "opportunity": self.opportunity,
                "won": self.won,
                "rest": self.rest,
            },
        )

    @property
    def label(self) -> str:
        """Short name used in tables."""
        return "full path"


@attrs.frozen(kw_only=True)
class MarkovChain:
    """Data-driven: the removal effect of each channel in the paths' absorbing Markov chain.

    Attributes
    ----------
    order : int
        Memory of the chain, >= 1: a state is the last ``order`` channels of
        the path (default 1). States grow as channels**order; the work is
        bounded (an error says so before any is done).

    Examples
    --------
    >>> MarkovChain(order=2).label
    'Markov chain (order 2)'
    """

    order: int = 1

    def __attrs_post_init__(self) -> None:
        integer(self.order, name="order", function="MarkovChain", minimum=1)

    @property
    def label(self) -> str:
        """Short name used in tables."""
        return f"Markov chain (order {self.order})"


@attrs.frozen(kw_only=True)
class Shapley:
    """Data-driven: exact Shapley values of the channels, over every subset of channels.

    The value of a set of channels is the conversions the paths' first-order
    Markov chain produces when only those channels exist (see
    :func:`attribute`). Exact enumeration is limited to
    :data:`SHAPLEY_MAX_CHANNELS` channels.

    Examples
    --------
    >>> Shapley().label
    'Shapley value'
    """

    @property
    def label(self) -> str:
        """Short name used in tables."""
        return "Shapley value"


AttributionModel = (
    FirstTouch
    | LastTouch
    | LastNonDirect
    | Linear
    | TimeDecay
    | PositionBased
    | WShaped
    | FullPath
    | MarkovChain
    | Shapley
)
"""Any of the attribution models crmkit computes."""

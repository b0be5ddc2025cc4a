"""The sales process: ordered open stages with win probabilities, plus won and lost outcomes."""

from __future__ import annotations

import enum
from typing import Final

import attrs
import numpy as np
import numpy.typing as npt

from crmkit._params import choice, instance, probability
from crmkit.errors import InputError, ModelDefinitionError

__all__ = ["DEFAULT_PROCESS", "ForecastCategory", "SalesProcess", "Stage"]


class ForecastCategory(enum.IntEnum):
    """How firmly a rep commits to an opportunity, as in Salesforce forecast categories.

    ``OMITTED`` deals (lost, or taken out of the forecast by their owner) count
    nowhere; ``PIPELINE`` < ``BEST_CASE`` < ``COMMIT`` are open deals in rising
    order of confidence; ``CLOSED`` is won business.

    Examples
    --------
    >>> ForecastCategory.COMMIT > ForecastCategory.BEST_CASE
    True
    >>> ForecastCategory["BEST_CASE"].label
    'best case'
    """

    OMITTED = 0
    PIPELINE = 1
    BEST_CASE = 2
    COMMIT = 3
    CLOSED = 4

    @property
    def label(self) -> str:
        """Human name, e.g. ``"best case"``."""
        return self.name.lower().replace("_", " ")


def _probability(value: object) -> float:
    return probability(value, name="probability", function="Stage")


def _category(value: object) -> ForecastCategory:
    return choice(value, ForecastCategory, name="category", function="Stage")


def _text(value: object, *, name: str, function: str) -> str:
    text = instance(value, str, name=name, function=function, what="a non-empty name (a str)")
    if not text.strip():
        raise InputError.for_parameter(name, "a non-empty name", value, function=function)
    return text


def _stage_name(_inst: object, attribute: attrs.Attribute[str], value: object) -> None:
    _text(value, name=attribute.name, function="Stage")


def _outcome_name(_inst: object, attribute: attrs.Attribute[str], value: object) -> None:
    _text(value, name=attribute.name, function="SalesProcess")


@attrs.frozen(kw_only=True)
class Stage:
    """One open stage of a sales process.

    Attributes
    ----------
    name : str
        Stage name as it appears in the CRM, e.g. ``"qualify"``.
    probability : float
        Configured probability in [0, 1] that a deal in this stage is won.
    category : ForecastCategory
        Forecast category a deal in this stage gets unless its owner overrides it
        (a member, or its int value).

    Raises
    ------
    InputError
        For a name that is not a non-empty str, a probability that is not a
        number in [0, 1] (bools and text are not numbers) or an unknown category.

    Examples
    --------
    >>> Stage(name="demo", probability=0.3).category.label
    'pipeline'
    """

    name: str = attrs.field(validator=_stage_name)
    probability: float = attrs.field(converter=_probability)
    category: ForecastCategory = attrs.field(default=ForecastCategory.PIPELINE, converter=_category)


def _as_tuple(value: object) -> tuple[Stage, ...]:
    if isinstance(value, (list, tuple)):
        return tuple(value)
    return value  # type: ignore[return-value]  # the validator rejects it


def _stages(_inst: object, _attribute: attrs.Attribute[object], value: object) -> None:
    if not isinstance(value, tuple) or not value or not all(isinstance(s, Stage) for s in value):
        shown = value if not isinstance(value, tuple) else [type(s).__name__ for s in value]
        raise InputError.for_parameter(
            "stages",
            "a non-empty sequence of Stage values",
            shown,
            function="SalesProcess",
            hint="Build each one with Stage(name=..., probability=...).",
        )


@attrs.frozen(kw_only=True)
class SalesProcess:
    """An ordered sales process: open stages, then the closed-won and closed-lost outcomes.

    Attributes
    ----------
    stages : tuple of Stage
        Open stages in the order deals move through them.
    won, lost : str
        Names of the two closed outcomes (default ``"won"`` and ``"lost"``).

    Raises
    ------
    InputError
        If ``stages`` is not a non-empty sequence of :class:`Stage` values, or an
        outcome name is not a non-empty str.
    ModelDefinitionError
        If stage probabilities decrease along the process, or a name is used
        twice (outcomes included).

    Notes
    -----
    Stage *i* has code *i*; ``won`` has code ``n_stages`` and ``lost`` code
    ``n_stages + 1``. Every crmkit funnel array stores stages as these codes.

    Examples
    --------
    >>> process = SalesProcess(
    ...     stages=(Stage(name="lead", probability=0.1), Stage(name="deal", probability=0.5))
    ... )
    >>> process.names
    ('lead', 'deal', 'won', 'lost')
    >>> SalesProcess(stages=(Stage(name="a", probability=0.5), Stage(name="b", probability=0.2)))
    Traceback (most recent call last):
    ...
    crmkit.errors.ModelDefinitionError: Stage probabilities must not decrease along the process; ...
    """

    stages: tuple[Stage, ...] = attrs.field(converter=_as_tuple, validator=_stages)
    won: str = attrs.field(default="won", validator=_outcome_name)
    lost: str = attrs.field(default="lost", validator=_outcome_name)

    def __attrs_post_init__(self) -> None:
        names = [s.name for s in self.stages] + [self.won, self.lost]
        seen: set[str] = set()
        for name in names:
            if name in seen:
                msg = f"Stage and outcome names must be unique; {name!r} is used twice."
                raise ModelDefinitionError(msg)
            seen.add(name)
        for before, after in zip(self.stages, self.stages[1:], strict=False):
            if after.probability < before.probability:
                msg = (
                    "Stage probabilities must not decrease along the process; "
                    f"{after.name!r} ({after.probability:g}) follows "
                    f"{before.name!r} ({before.probability:g})."
                )
                raise ModelDefinitionError(msg)

    @property
    def n_stages(self) -> int:
        """Number of open stages."""
        return len(self.stages)

    @property
    def won_code(self) -> int:
        """Code of the closed-won outcome (``n_stages``)."""
        return len(self.stages)

    @property
    def lost_code(self) -> int:
        """Code of the closed-lost outcome (``n_stages + 1``)."""
        return len(self.stages) + 1

    @property
    def names(self) -> tuple[str, ...]:
        """Every stage name by code: open stages, then won, then lost."""
        return (*(s.name for s in self.stages), self.won, self.lost)

    @property
    def probabilities(self) -> npt.NDArray[np.float64]:
        """Configured win probability by code (won = 1, lost = 0)."""
        return np.array([*(s.probability for s in self.stages), 1.0, 0.0], dtype=np.float64)

    @property
    def categories(self) -> npt.NDArray[np.int64]:
        """Default forecast category by code (won = closed, lost = omitted)."""
        return np.array(
            [*(int(s.category) for s in self.stages), ForecastCategory.CLOSED, 0], dtype=np.int64
        )

    def code(self, name: str) -> int:
        """Return the code of a stage or outcome name.

        Parameters
        ----------
        name : str
            A stage or outcome name.

        Returns
        -------
        int
            Its code.

        Raises
        ------
        ModelDefinitionError
            If the name is not part of the process.

        Examples
        --------
        >>> DEFAULT_PROCESS.code("propose solution")
        3
        """
        try:
            return self.names.index(name)
        except ValueError:
            msg = f"{name!r} is not a stage of this process; known: {list(self.names)}."
            raise ModelDefinitionError(msg) from None


DEFAULT_PROCESS: Final = SalesProcess(
    stages=(
        Stage(name="identify opportunity", probability=0.10),
        Stage(name="qualify", probability=0.20),
        Stage(name="plan", probability=0.40),
        Stage(name="propose solution", probability=0.60, category=ForecastCategory.BEST_CASE),
        Stage(name="close", probability=0.80, category=ForecastCategory.COMMIT),
    )
)
"""The default five-stage B2B process (identify, qualify, plan, propose, close).

Probabilities 10/20/40/60/80 % follow the usual CRM defaults (Salesforce and
Dynamics ship similar ladders); calibrate them on your own history with
:func:`fit_stage_rates`.
"""

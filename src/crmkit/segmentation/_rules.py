"""Named segments from RFM scores: typed rule tables, checked for gaps, overlaps and dead rules."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Final

import attrs
import numpy as np
import numpy.typing as npt

from crmkit import _params
from crmkit.errors import InputError, ModelDefinitionError

__all__ = [
    "RFM_GRID_10",
    "RFM_GRID_11",
    "RuleTable",
    "RuleTableCheck",
    "ScoreRange",
    "SegmentRule",
    "check_rule_table",
]

Cell = tuple[int, ...]
_MAX_K: Final = 20


def _score_int(_inst: object, attribute: attrs.Attribute[int], value: object) -> None:
    _params.integer(value, name=attribute.name, function="ScoreRange", minimum=1, maximum=_MAX_K)


@attrs.frozen
class ScoreRange:
    """An inclusive range of scores, ``low <= score <= high``.

    Both ends are ints in 1..20 (the scores of a rule table), ``low <= high``;
    anything else is an ``InputError`` naming the end.

    Examples
    --------
    >>> ScoreRange(4, 5).contains(5)
    True
    """

    low: int = attrs.field(validator=_score_int)
    high: int = attrs.field(validator=_score_int)

    def __attrs_post_init__(self) -> None:
        if self.low > self.high:
            raise InputError.for_parameter(
                "low", f"<= high ({self.high})", self.low, function="ScoreRange"
            )

    def contains(self, score: int) -> bool:
        """Return whether *score* lies in the range.

        Parameters
        ----------
        score : int
            A score.

        Returns
        -------
        bool
            ``low <= score <= high``.
        """
        return self.low <= score <= self.high


def _to_range(value: object, name: str) -> ScoreRange | None:
    if value is None or isinstance(value, ScoreRange):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return ScoreRange(value, value)
    if isinstance(value, tuple) and len(value) == 2:
        return ScoreRange(value[0], value[1])
    raise InputError.for_parameter(
        name,
        "an int, a (low, high) tuple, a ScoreRange or None (any score)",
        value,
        function="SegmentRule",
    )


def _recency(value: object) -> ScoreRange | None:
    return _to_range(value, "recency")


def _frequency(value: object) -> ScoreRange | None:
    return _to_range(value, "frequency")


def _monetary(value: object) -> ScoreRange | None:
    return _to_range(value, "monetary")


def _segment_name(value: object, *, name: str, function: str) -> None:
    text = _params.instance(value, str, name=name, function=function, what="a segment name")
    if not text.strip():
        raise InputError.for_parameter(name, "a non-empty segment name", value, function=function)


def _name(_inst: object, _attribute: attrs.Attribute[str], value: object) -> None:
    _segment_name(value, name="name", function="SegmentRule")


@attrs.frozen(kw_only=True)
class SegmentRule:
    """One rectangle of score cells that belongs to a named segment.

    A segment may be the union of several rules with the same name.

    Attributes
    ----------
    name : str
        Segment name, e.g. ``"champions"``.
    recency, frequency, monetary : ScoreRange or None
        Inclusive score ranges; an int means one score, a ``(low, high)``
        tuple a range, ``None`` any score. A table whose rules all leave
        ``monetary`` as ``None`` is a recency x frequency grid.

    Examples
    --------
    >>> SegmentRule(name="champions", recency=5, frequency=(4, 5)).frequency
    ScoreRange(low=4, high=5)
    """

    name: str = attrs.field(validator=_name)
    recency: ScoreRange | None = attrs.field(default=None, converter=_recency)
    frequency: ScoreRange | None = attrs.field(default=None, converter=_frequency)
    monetary: ScoreRange | None = attrs.field(default=None, converter=_monetary)

    def ranges(self, dims: int) -> tuple[ScoreRange | None, ...]:
        """Return the score ranges of the first *dims* dimensions (R, F[, M]).

        Parameters
        ----------
        dims : int
            2 for a recency x frequency grid, 3 with monetary.

        Returns
        -------
        tuple of ScoreRange or None
            One entry per dimension.
        """
        return (self.recency, self.frequency, self.monetary)[:dims]


@attrs.frozen(kw_only=True)
class RuleTableCheck:
    """What is wrong with a rule table, cell by cell.

    Attributes
    ----------
    k : int
        Scores per dimension.
    dimensions : tuple of str
        ``("recency", "frequency")`` or with ``"monetary"``.
    gaps : tuple of tuple of int
        Cells no rule covers.
    overlaps : tuple of (cell, tuple of str)
        Cells claimed by rules of two or more different segments (the first
        listed wins when rules are applied in order).
    unreachable : tuple of str
        Segments none of whose cells survive first-match application.

    Examples
    --------
    >>> check_rule_table([SegmentRule(name="all", recency=(1, 2))], k=2).ok
    True
    """

    k: int
    dimensions: tuple[str, ...]
    gaps: tuple[Cell, ...]
    overlaps: tuple[tuple[Cell, tuple[str, ...]], ...]
    unreachable: tuple[str, ...]

    @property
    def ok(self) -> bool:
        """Whether the table is complete, non-overlapping and every segment reachable."""
        return not (self.gaps or self.overlaps or self.unreachable)

    def describe(self) -> str:
        """Return a one-paragraph human description of the problems.

        Returns
        -------
        str
            ``"complete"`` or a list of gaps, overlaps and unreachable segments.
        """
        if self.ok:
            return f"complete: every one of the {self.k ** len(self.dimensions)} cells once"
        parts = []
        if self.gaps:
            parts.append(f"{len(self.gaps)} cells uncovered (first: {list(self.gaps[:5])})")
        if self.overlaps:
            shown = [f"{c}: {list(n)}" for c, n in self.overlaps[:5]]
            parts.append(f"{len(self.overlaps)} cells claimed twice ({'; '.join(shown)})")
        if self.unreachable:
            parts.append(f"segments no cell reaches: {list(self.unreachable)}")
        return "; ".join(parts)


def check_rule_table(rules: Sequence[SegmentRule], *, k: int) -> RuleTableCheck:
    """Check a rule table cell by cell for gaps, overlaps and unreachable segments.

    Parameters
    ----------
    rules : sequence of SegmentRule
        Applied in order; the first rule covering a cell wins.
    k : int
        Scores per dimension, 2..20.

    Returns
    -------
    RuleTableCheck
        Every gap, overlap and unreachable segment (``.ok`` when none).

    Raises
    ------
    InputError
        If ``k`` is not an int in 2..20.
    ModelDefinitionError
        If *rules* is empty or a range exceeds ``k``.

    Notes
    -----
    Enumerates all :math:`k^d` cells (:math:`d` = 2 or 3); cheap for any
    practical ``k``.

    Examples
    --------
    A table copied from a blog post that forgets the middle:

    >>> rules = [
    ...     SegmentRule(name="best", recency=(4, 5), frequency=(4, 5)),
    ...     SegmentRule(name="worst", recency=(1, 2), frequency=(1, 5)),
    ...     SegmentRule(name="good", recency=(4, 5), frequency=5),
    ... ]
    >>> c = check_rule_table(rules, k=5)
    >>> len(c.gaps), len(c.overlaps), c.unreachable
    (11, 2, ('good',))
    """
    owners, dims = _owners(rules, k)
    names = list(dict.fromkeys(r.name for r in rules))
    gaps: list[Cell] = []
    overlaps: list[tuple[Cell, tuple[str, ...]]] = []
    winners: set[str] = set()
    for cell, claim in owners.items():
        distinct = tuple(dict.fromkeys(rules[i].name for i in claim))
        if not distinct:
            gaps.append(cell)
            continue
        winners.add(distinct[0])
        if len(distinct) > 1:
            overlaps.append((cell, distinct))
    return RuleTableCheck(
        k=k,
        dimensions=("recency", "frequency", "monetary")[:dims],
        gaps=tuple(gaps),
        overlaps=tuple(overlaps),
        unreachable=tuple(n for n in names if n not in winners),
    )


def _owners(
    rules: Sequence[SegmentRule], k: int, function: str = "check_rule_table"
) -> tuple[dict[Cell, list[int]], int]:
    k = _params.integer(k, name="k", function=function, minimum=2, maximum=_MAX_K)
    if not rules:
        raise ModelDefinitionError("A rule table needs at least one SegmentRule.")
    for rule in rules:
        if not isinstance(rule, SegmentRule):
            raise ModelDefinitionError(f"Rule tables hold SegmentRule values; got {rule!r}.")
        for dim, rng in zip(("recency", "frequency", "monetary"), rule.ranges(3), strict=True):
            if rng is not None and rng.high > k:
                raise ModelDefinitionError(
                    f"Rule {rule.name!r} asks for {dim} scores up to {rng.high}, "
                    f"but scores run from 1 to k={k}."
                )
    dims = 3 if any(r.monetary is not None for r in rules) else 2
    owners: dict[Cell, list[int]] = {}
    for cell in itertools.product(range(1, k + 1), repeat=dims):
        owners[cell] = [
            i
            for i, rule in enumerate(rules)
            if all(
                rng is None or rng.contains(s)
                for rng, s in zip(rule.ranges(dims), cell, strict=True)
            )
        ]
    return owners, dims


def _rules_tuple(value: object) -> tuple[SegmentRule, ...]:
    if isinstance(value, SegmentRule):
        return (value,)
    if not isinstance(value, Sequence):
        raise ModelDefinitionError(
            f"RuleTable.rules must be a sequence of SegmentRule; got {value!r}."
        )
    return tuple(value)


@attrs.frozen(kw_only=True)
class RuleTable:
    """A checked mapping from score cells to named segments.

    Built only if every cell is covered exactly once and every segment is
    reachable; otherwise a ``ModelDefinitionError`` lists the problems,
    unless ``fallback`` names a segment for uncovered cells (then overlaps
    resolve to the first rule and :meth:`check` still reports them).

    Attributes
    ----------
    rules : tuple of SegmentRule
        Applied in order, first match wins.
    k : int
        Scores per dimension the table is written for.
    fallback : str or None
        Segment for cells no rule covers; ``None`` demands a complete table.

    Raises
    ------
    InputError
        If ``k`` is not an int in 2..20 or ``fallback`` is not a non-empty name.
    ModelDefinitionError
        On gaps, overlaps or unreachable segments without a fallback, ranges
        beyond ``k`` or no rules.

    Examples
    --------
    >>> table = RuleTable(
    ...     rules=[
    ...         SegmentRule(name="active", recency=(2, 3)),
    ...         SegmentRule(name="lapsed", recency=1),
    ...     ],
    ...     k=3,
    ... )
    >>> table.segments
    ('active', 'lapsed')
    """

    rules: tuple[SegmentRule, ...] = attrs.field(converter=_rules_tuple)
    k: int = 5
    fallback: str | None = None

    def __attrs_post_init__(self) -> None:
        _params.integer(self.k, name="k", function="RuleTable", minimum=2, maximum=_MAX_K)
        if self.fallback is not None:
            _segment_name(self.fallback, name="fallback", function="RuleTable")
        report = self.check()
        if self.fallback is None and not report.ok:
            raise ModelDefinitionError(
                f"The rule table is not a partition of the {self.k}-score cells: "
                f"{report.describe()}.\nHint: fix the rules, or pass fallback='<segment>' "
                f"to send uncovered cells there and let the first matching rule win."
            )

    def check(self) -> RuleTableCheck:
        """Return the cell-by-cell check of this table.

        Returns
        -------
        RuleTableCheck
            Gaps, overlaps and unreachable segments.
        """
        return check_rule_table(self.rules, k=self.k)

    @property
    def dimensions(self) -> int:
        """Return 2 for a recency x frequency grid, 3 when any rule uses monetary."""
        return 3 if any(r.monetary is not None for r in self.rules) else 2

    @property
    def segments(self) -> tuple[str, ...]:
        """Return the segment names in table order (the fallback last)."""
        names = list(dict.fromkeys(r.name for r in self.rules))
        if self.fallback is not None and self.fallback not in names:
            names.append(self.fallback)
        return tuple(names)

    def lookup(self) -> npt.NDArray[np.int64]:
        """Return the segment index of every cell, shape ``(k + 1,) * dims``.

        Index 0 of each axis is unused (scores start at 1); cells map to
        positions in :attr:`segments`.

        Returns
        -------
        ndarray of int64
            ``lookup()[r, f]`` (or ``[r, f, m]``) is the segment of that cell.
        """
        dims = self.dimensions
        names = self.segments
        index = {n: i for i, n in enumerate(names)}
        fallback = index[self.fallback] if self.fallback is not None else -1
        table = np.full((self.k + 1,) * dims, fallback, dtype=np.int64)
        for cell in itertools.product(range(1, self.k + 1), repeat=dims):
            for rule in self.rules:
                if all(
                    rng is None or rng.contains(s)
                    for rng, s in zip(rule.ranges(dims), cell, strict=True)
                ):
                    table[cell] = index[rule.name]
                    break
        return table


RFM_GRID_10: Final = RuleTable(
    rules=(
        SegmentRule(name="champions", recency=5, frequency=(4, 5)),
        SegmentRule(name="loyal customers", recency=(3, 4), frequency=(4, 5)),
        SegmentRule(name="potential loyalists", recency=(4, 5), frequency=(2, 3)),
        SegmentRule(name="new customers", recency=5, frequency=1),
        SegmentRule(name="promising", recency=4, frequency=1),
        SegmentRule(name="need attention", recency=3, frequency=3),
        SegmentRule(name="about to sleep", recency=3, frequency=(1, 2)),
        SegmentRule(name="at risk", recency=(1, 2), frequency=(3, 4)),
        SegmentRule(name="can't lose them", recency=(1, 2), frequency=5),
        SegmentRule(name="hibernating", recency=(1, 2), frequency=(1, 2)),
    ),
    k=5,
)
"""The complete 10-segment recency x frequency grid (k = 5); see the segmentation guide."""

RFM_GRID_11: Final = RuleTable(
    rules=(
        *RFM_GRID_10.rules[:-1],
        SegmentRule(name="hibernating", recency=1, frequency=2),
        SegmentRule(name="hibernating", recency=2, frequency=(1, 2)),
        SegmentRule(name="lost", recency=1, frequency=1),
    ),
    k=5,
)
"""The 10-segment grid with cell R1 F1 split off as "lost"; also complete (k = 5)."""

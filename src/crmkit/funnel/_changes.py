"""The deal-level change log and the waterfall bars of a pipeline movement report."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import attrs
import numpy as np
import numpy.typing as npt

from crmkit._results import Kind, Result

__all__ = ["DealChanges", "Waterfall"]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


@attrs.frozen(kw_only=True, repr=False)
class Waterfall(Result):
    """The bars of a waterfall chart from the start pipeline to the end pipeline.

    Attributes
    ----------
    step : ndarray of str, shape (s,)
        ``"start"``, each component, ``"end"``.
    amount : ndarray of float64, shape (s,)
        The start and end totals, and each component's signed change.
    bottom, top : ndarray of float64, shape (s,)
        Where each bar starts and ends (the start and end bars stand on 0).
    weighted : bool
        Whether the bars are of the weighted pipeline.

    Examples
    --------
    >>> from crmkit.funnel import DEFAULT_PROCESS, Opportunities, pipeline_movement
    >>> week1 = Opportunities.from_arrays(
    ...     process=DEFAULT_PROCESS,
    ...     id=[1, 2],
    ...     amount=[100.0, 50.0],
    ...     stage=["plan", "plan"],
    ...     close_date=["2024-07-10", "2024-07-20"],
    ... )
    >>> week2 = Opportunities.from_arrays(
    ...     process=DEFAULT_PROCESS,
    ...     id=[1, 2, 3],
    ...     amount=[100.0, 50.0, 30.0],
    ...     stage=["won", "plan", "qualify"],
    ...     close_date=["2024-07-08", "2024-07-20", "2024-07-30"],
    ... )
    >>> m = pipeline_movement(week1, week2, period="month", probabilities="configured")
    >>> w = m.waterfall(weighted=False)
    >>> [(str(s), float(a)) for s, a in zip(w.step, w.amount) if a]
    [('start', 150.0), ('new', 30.0), ('won', -100.0), ('end', 80.0)]
    """

    _table: ClassVar[tuple[str, ...]] = ("step", "amount", "bottom", "top")
    _kinds: ClassVar[Mapping[str, Kind]] = {
        "amount": "money",
        "bottom": "money",
        "top": "money",
    }
    step: npt.NDArray[np.str_]
    amount: FloatArray
    bottom: FloatArray
    top: FloatArray
    weighted: bool


@attrs.frozen(kw_only=True, repr=False)
class DealChanges(Result):
    """Deal-level change log between two snapshots: what changed, from what to what.

    One row per deal present in either snapshot that differs between them (in
    presence, stage, amount, close date or a ``by`` dimension); unchanged deals
    are counted in :attr:`PipelineMovement.n_unchanged`.

    Attributes
    ----------
    id : ndarray, shape (r,)
        Deal id.
    stage_before, stage_after : ndarray of str, shape (r,)
        Stage name in each snapshot ("" where the deal is absent).
    amount_before, amount_after : ndarray of float64, shape (r,)
        Amount in each snapshot (NaN where absent).
    close_before, close_after : ndarray of datetime64[us], shape (r,)
        Close date in each snapshot (NaT where absent or unknown).
    weighted_before, weighted_after : ndarray of float64, shape (r,)
        Amount x win probability while open (0 when closed or absent).
    created, removed, won, lost, reopened : ndarray of bool, shape (r,)
        Absent before; absent after; open (or absent) before and won / lost
        after; closed before and open after.
    advanced, regressed : ndarray of bool, shape (r,)
        Open in both and in a later / earlier stage.
    pushed, pulled : ndarray of bool, shape (r,)
        In both, close date later / earlier.
    amount_up, amount_down : ndarray of bool, shape (r,)
        In both, amount higher / lower.
    reassigned : ndarray of bool, shape (r,)
        In both, some ``by`` dimension differs.
    groups_before, groups_after : mapping of str to ndarray, shape (r,) each
        The ``by`` dimensions in each snapshot (a deal absent from one
        snapshot shows the other snapshot's values in both).

    Examples
    --------
    >>> from crmkit.funnel import DEFAULT_PROCESS, Opportunities, pipeline_movement
    >>> before = Opportunities.from_arrays(
    ...     process=DEFAULT_PROCESS,
    ...     id=[1, 2],
    ...     amount=[100.0, 50.0],
    ...     stage=["plan", "plan"],
    ...     close_date=["2024-07-10", "2024-07-20"],
    ... )
    >>> after = Opportunities.from_arrays(
    ...     process=DEFAULT_PROCESS,
    ...     id=[1, 2],
    ...     amount=[100.0, 40.0],
    ...     stage=["plan", "close"],
    ...     close_date=["2024-08-10", "2024-07-20"],
    ... )
    >>> ch = pipeline_movement(before, after, period="month", probabilities="configured").changes
    >>> ch.id.tolist(), ch.pushed.tolist(), ch.advanced.tolist(), ch.amount_down.tolist()
    ([1, 2], [True, False], [False, True], [False, True])
    """

    _table: ClassVar[tuple[str, ...]] = (
        "id",
        "stage_before",
        "stage_after",
        "amount_before",
        "amount_after",
        "close_before",
        "close_after",
        "weighted_before",
        "weighted_after",
        "created",
        "removed",
        "won",
        "lost",
        "reopened",
        "advanced",
        "regressed",
        "pushed",
        "pulled",
        "amount_up",
        "amount_down",
        "reassigned",
    )
    _kinds: ClassVar[Mapping[str, Kind]] = {
        "amount_before": "money",
        "amount_after": "money",
        "weighted_before": "money",
        "weighted_after": "money",
    }
    _rows: ClassVar[tuple[str, ...]] = (*_table, "groups_before", "groups_after")
    id: npt.NDArray[Any]
    stage_before: npt.NDArray[np.str_]
    stage_after: npt.NDArray[np.str_]
    amount_before: FloatArray
    amount_after: FloatArray
    close_before: npt.NDArray[np.datetime64]
    close_after: npt.NDArray[np.datetime64]
    weighted_before: FloatArray
    weighted_after: FloatArray
    created: BoolArray
    removed: BoolArray
    won: BoolArray
    lost: BoolArray
    reopened: BoolArray
    advanced: BoolArray
    regressed: BoolArray
    pushed: BoolArray
    pulled: BoolArray
    amount_up: BoolArray
    amount_down: BoolArray
    reassigned: BoolArray
    groups_before: Mapping[str, npt.NDArray[Any]]
    groups_after: Mapping[str, npt.NDArray[Any]]

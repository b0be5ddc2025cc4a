"""The ``StageHistory`` value: when each opportunity entered each stage, validated once."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt

from crmkit._frames import read_columns
from crmkit._groups import factorize
from crmkit._input import (
    as_datetime,
    as_finite_float,
    as_ids,
    as_readonly,
    check_same_length,
    to_array,
)
from crmkit._results import frozen_mapping
from crmkit.errors import InputError
from crmkit.funnel._opportunities import stage_codes
from crmkit.funnel._process import SalesProcess

__all__ = ["StageHistory"]

_FN = "StageHistory"
IntArray = npt.NDArray[np.int64]


@attrs.frozen(kw_only=True, repr=False)
class StageHistory:
    """Stage-entered events of opportunities, grouped per opportunity in time order.

    Each row says "opportunity *o* entered stage *s* at time *t*"; entering the
    won or lost outcome closes the deal. Rows are stored grouped by
    opportunity (``offsets`` delimit the groups, ``opportunity`` lists their
    ids in ascending order), in the time order they were given.

    Attributes
    ----------
    process : SalesProcess
        The stages the codes refer to.
    opportunity : ndarray, shape (m,)
        Distinct opportunity ids, ascending.
    offsets : ndarray of int64, shape (m + 1,)
        Rows of opportunity *j* are ``offsets[j]:offsets[j + 1]``.
    row_opportunity : ndarray of int64, shape (n,)
        Index into ``opportunity`` of every row.
    stage : ndarray of int64, shape (n,)
        Stage code entered.
    entered : ndarray of datetime64[us], shape (n,)
        When it was entered.
    reason : ndarray of str, shape (n,)
        Win/loss reason on outcome rows ("" where none was given).
    dimensions : mapping of str to ndarray, shape (m,) each
        Per-opportunity attributes (the value on each opportunity's first row).
    amount : ndarray of float64, shape (n,), or None
        Deal value in force after each row, when the log carries it (as
        Salesforce's opportunity history does); None otherwise.
    close_date : ndarray of datetime64[us], shape (n,), or None
        Expected close date in force after each row (the actual one on outcome
        rows), when the log carries it; None otherwise.

    Notes
    -----
    A row whose stage equals the opportunity's previous one records a change of
    amount or close date without a stage change; stage timings treat the run
    of such rows as one stay in the stage.

    Examples
    --------
    >>> from crmkit.funnel import DEFAULT_PROCESS
    >>> h = StageHistory.from_arrays(
    ...     process=DEFAULT_PROCESS,
    ...     opportunity=[7, 7, 7, 9, 9],
    ...     stage=["qualify", "plan", "won", "qualify", "lost"],
    ...     entered=["2024-01-02", "2024-01-20", "2024-02-11", "2024-01-05", "2024-01-30"],
    ...     reason=["", "", "fit", "", "price"],
    ... )
    >>> h.n_opportunities, h.outcome.tolist()
    (2, [5, 6])
    """

    process: SalesProcess
    opportunity: npt.NDArray[Any]
    offsets: IntArray
    row_opportunity: IntArray
    stage: IntArray
    entered: npt.NDArray[np.datetime64]
    reason: npt.NDArray[np.str_]
    dimensions: Mapping[str, npt.NDArray[Any]] = attrs.field(converter=frozen_mapping)
    amount: npt.NDArray[np.float64] | None = None
    close_date: npt.NDArray[np.datetime64] | None = None

    @classmethod
    def from_arrays(
        cls,
        *,
        process: SalesProcess,
        opportunity: object,
        stage: object,
        entered: object,
        reason: object | None = None,
        dimensions: Mapping[str, object] | None = None,
        amount: object | None = None,
        close_date: object | None = None,
    ) -> StageHistory:
        """Validate stage-history rows given as arrays.

        Parameters
        ----------
        process : SalesProcess
            The sales process.
        opportunity : array_like, shape (n,)
            Opportunity id of each row.
        stage : array_like of str or int, shape (n,)
            Stage or outcome entered.
        entered : array_like of date-like, shape (n,)
            When it was entered; within an opportunity rows must be in time order.
        reason : array_like of str, shape (n,), optional
            Win/loss reason (only meaningful on outcome rows; empty or null elsewhere).
        dimensions : mapping of str to array_like, optional
            Per-row attributes such as team or region; each opportunity takes the
            value of its first row.
        amount : array_like of float, shape (n,), optional
            Deal value in force after each row (finite, >= 0).
        close_date : array_like of date-like, shape (n,), optional
            Expected close date in force after each row (actual close on outcome rows).

        Returns
        -------
        StageHistory

        Raises
        ------
        InputError
            For unknown stage names, unparseable times, rows of an opportunity
            out of time order, any row after an opportunity's won/lost outcome
            (revisiting a closed outcome), or columns of different lengths.

        Examples
        --------
        >>> from crmkit.funnel import DEFAULT_PROCESS
        >>> StageHistory.from_arrays(
        ...     process=DEFAULT_PROCESS,
        ...     opportunity=[1, 1, 1],
        ...     stage=["plan", "lost", "close"],
        ...     entered=["2024-01-01", "2024-01-05", "2024-01-09"],
        ... )
        Traceback (most recent call last):
        ...
        crmkit.errors.InputError: The 'stage' column of StageHistory must not continue after ...
        """
        ids = as_ids(opportunity, field="opportunity", function=_FN)
        codes = stage_codes(stage, process, field="stage", function=_FN)
        times = as_datetime(entered, field="entered", function=_FN).values
        lengths = {"opportunity": ids.size, "stage": codes.size, "entered": times.size}
        if reason is not None:
            raw = to_array(reason)
            lengths["reason"] = raw.size
            texts = np.array(["" if v is None or v != v else str(v) for v in raw.tolist()])  # noqa: PLR0124
            reasons = texts.astype(str) if texts.size else np.zeros(0, dtype="<U1")
        else:
            reasons = np.full(ids.size, "", dtype="<U1")
        amounts = None
        if amount is not None:
            amounts = as_finite_float(amount, field="amount", function=_FN, minimum=0.0)
            lengths["amount"] = amounts.size
        closes = None
        if close_date is not None:
            closes = as_datetime(close_date, field="close_date", function=_FN).values
            lengths["close_date"] = closes.size
        dims_rows = {}
        for name, col in (dimensions or {}).items():
            dims_rows[name] = as_ids(col, field=name, function=_FN)
            lengths[name] = dims_rows[name].size
        n = check_same_length(lengths, function=_FN)
        fact = factorize(ids)
        order = np.argsort(fact.codes, kind="stable")
        g = fact.codes[order]
        offsets = np.zeros(fact.n_groups + 1, dtype=np.int64)
        np.cumsum(np.bincount(g, minlength=fact.n_groups), out=offsets[1:])
        s_codes = codes[order]
        s_times = times[order]
        same = g[1:] == g[:-1] if n else np.zeros(0, dtype=bool)
        back = same & (s_times[1:] < s_times[:-1])
        if back.any():
            pos = np.sort(order[1:][back])
            raise InputError.for_rows(
                "entered",
                "must not go back in time within an opportunity",
                positions=pos[:5].tolist(),
                values=[str(times[p]) for p in pos[:5]],
                n_bad=int(pos.size),
                function=_FN,
                hint="Sort each opportunity's rows by the time the stage was entered.",
            )
        closed = s_codes >= process.won_code
        before = np.cumsum(closed) - closed  # closed rows before each row, overall
        after = (before - before[offsets[:-1]][g]) > 0 if n else closed
        if after.any():
            pos = np.sort(order[after])
            raise InputError.for_rows(
                "stage",
                "must not continue after an opportunity is won or lost "
                "(a closed outcome cannot be revisited)",
                positions=pos[:5].tolist(),
                values=[process.names[c] for c in codes[pos[:5]]],
                n_bad=int(pos.size),
                function=_FN,
                hint="Reopened deals should be new opportunities.",
            )
        first_rows = order[offsets[:-1]] if fact.n_groups else order[:0]
        return cls(
            process=process,
            opportunity=as_readonly(fact.uniques),
            offsets=as_readonly(offsets),
            row_opportunity=as_readonly(g),
            stage=as_readonly(s_codes),
            entered=as_readonly(s_times),
            reason=as_readonly(reasons[order]),
            dimensions={k: as_readonly(v[first_rows]) for k, v in dims_rows.items()},
            amount=None if amounts is None else as_readonly(amounts[order]),
            close_date=None if closes is None else as_readonly(closes[order]),
        )

    @classmethod
    def from_frame(
        cls,
        frame: object,
        *,
        process: SalesProcess,
        opportunity: str = "opportunity",
        stage: str = "stage",
        entered: str = "entered",
        reason: str | None = None,
        dimensions: Sequence[str] = (),
        amount: str | None = None,
        close_date: str | None = None,
    ) -> StageHistory:
        """Validate the mapped columns of any DataFrame narwhals supports.

        Parameters
        ----------
        frame : DataFrame-like
            One row per stage entered.
        process : SalesProcess
            The sales process.
        opportunity, stage, entered : str
            Column names.
        reason : str, optional
            Column of win/loss reasons.
        dimensions : sequence of str
            Dimension columns.
        amount, close_date : str, optional
            Columns of the deal value and expected close date in force after each row.

        Returns
        -------
        StageHistory

        Raises
        ------
        InputError
            As :meth:`from_arrays`, and for a mapped column the frame lacks.

        Examples
        --------
        >>> import polars as pl
        >>> from crmkit.funnel import DEFAULT_PROCESS
        >>> df = pl.DataFrame(
        ...     {
        ...         "opportunity": [1, 1],
        ...         "stage": ["plan", "won"],
        ...         "entered": ["2024-01-01", "2024-02-01"],
        ...     }
        ... )
        >>> StageHistory.from_frame(df, process=DEFAULT_PROCESS).n_rows
        2
        """
        mapping = {"opportunity": opportunity, "stage": stage, "entered": entered}
        optional = {"reason": reason, "amount": amount, "close_date": close_date}
        mapping |= {f: c for f, c in optional.items() if c is not None}
        mapping |= {f"dim:{d}": d for d in dimensions}
        cols = read_columns(frame, mapping, function=_FN)
        return cls.from_arrays(
            process=process,
            opportunity=cols["opportunity"],
            stage=cols["stage"],
            entered=cols["entered"],
            reason=cols.get("reason"),
            dimensions={d: cols[f"dim:{d}"] for d in dimensions},
            amount=cols.get("amount"),
            close_date=cols.get("close_date"),
        )

    @property
    def n_rows(self) -> int:
        """Number of stage-entered rows."""
        return int(self.stage.size)

    @property
    def n_opportunities(self) -> int:
        """Number of distinct opportunities."""
        return int(self.opportunity.size)

    @property
    def last(self) -> IntArray:
        """Row index of each opportunity's last row."""
        return self.offsets[1:] - 1

    @property
    def outcome(self) -> IntArray:
        """Last stage code of each opportunity (won/lost codes for closed deals)."""
        return self.stage[self.last]

    @property
    def max_open_stage(self) -> IntArray:
        """Furthest open stage each opportunity entered (-1 if it entered none)."""
        codes = np.where(self.stage < self.process.won_code, self.stage, -1)
        if not codes.size:
            return codes
        return np.maximum.reduceat(codes, self.offsets[:-1]).astype(np.int64)

    def state_at(self, when: np.datetime64) -> IntArray:
        """Stage code of each opportunity at time *when* (-1 if not yet created).

        Parameters
        ----------
        when : numpy.datetime64
            The snapshot time; a stage entered exactly at *when* counts.

        Returns
        -------
        ndarray of int64, shape (m,)

        Examples
        --------
        >>> from crmkit.funnel import DEFAULT_PROCESS
        >>> h = StageHistory.from_arrays(
        ...     process=DEFAULT_PROCESS,
        ...     opportunity=[1, 1],
        ...     stage=["plan", "won"],
        ...     entered=["2024-01-01", "2024-02-01"],
        ... )
        >>> h.state_at(np.datetime64("2024-01-15", "us")).tolist()
        [2]
        """
        seen = self.entered <= when
        count = np.add.reduceat(seen.astype(np.int64), self.offsets[:-1]) if seen.size else seen
        idx = self.offsets[:-1] + count - 1
        return np.where(count > 0, self.stage[np.maximum(idx, 0)], -1).astype(np.int64)

    def __repr__(self) -> str:
        return f"StageHistory(rows={self.n_rows}, opportunities={self.n_opportunities})"

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
    DEFAULT_YEARS,
    as_datetime,
    as_ids,
    as_readonly,
    check_date_format,
    check_same_length,
    check_valid_years,
    scalar_datetime,
    to_array,
)
from crmkit._params import instance, names
from crmkit._reduce import bincount
from crmkit._results import frozen_mapping
from crmkit._values import bad_rows_error, is_null
from crmkit.funnel._opportunities import deal_amounts, dimension_columns, stage_codes
from crmkit.funnel._process import SalesProcess

__all__ = ["StageHistory", "stage_at"]

_CORE = ("opportunity", "stage", "entered", "reason", "amount", "close_date")
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
        date_format: str | None = None,
        valid_years: tuple[int, int] = DEFAULT_YEARS,
    ) -> StageHistory:
        """Validate stage-history rows given as arrays.

        Parameters
        ----------
        process : SalesProcess
            The sales process.
        opportunity : array_like, shape (n,)
            Opportunity id of each row (ints or strings, not both).
        stage : array_like of str or int, shape (n,)
            Stage or outcome entered.
        entered : array_like of date-like, shape (n,)
            When it was entered (never missing); within an opportunity rows
            must be in time order.
        reason : array_like of str, shape (n,), optional
            Win/loss reason (only meaningful on outcome rows; empty or null elsewhere).
        dimensions : mapping of str to array_like, optional
            Per-row attributes such as team or region; each opportunity takes the
            value of its first row.
        amount : array_like of float, shape (n,), optional
            Deal value in force after each row (finite, >= 0, with a total
            within float64's range).
        close_date : array_like of date-like, shape (n,), optional
            Expected close date in force after each row (actual close on
            outcome rows); every row needs one.
        date_format : str, optional
            A strftime pattern for dates that are not ISO-8601 (``"%Y%m%d"``,
            ``"%d/%m/%Y %H:%M"``, ...); text or whole numbers in that layout.
        valid_years : tuple of (int, int), default (1900, 2200)
            Years a date may fall in (both inclusive); a date outside is
            refused as a likely misread.

        Returns
        -------
        StageHistory
            An empty log (no rows) is valid: a day without changes.

        Raises
        ------
        InputError
            For unknown stage names, missing, unreadable or out-of-window
            times, rows of an opportunity out of time order, any row after an
            opportunity's won/lost outcome (revisiting a closed outcome), mixed
            int/str ids, or columns of different lengths.

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
        crmkit.errors.InputError: The 'stage' column of StageHistory.from_arrays must not ...

        A CRM export with day-first dates:

        >>> StageHistory.from_arrays(
        ...     process=DEFAULT_PROCESS,
        ...     opportunity=[1, 1],
        ...     stage=["plan", "won"],
        ...     entered=["02/01/2024", "20/01/2024"],
        ...     date_format="%d/%m/%Y",
        ... ).entered.tolist()[1]
        datetime.datetime(2024, 1, 20, 0, 0)
        """
        fn = "StageHistory.from_arrays"
        columns = {"opportunity": opportunity, "stage": stage, "entered": entered}
        optional = {"reason": reason, "amount": amount, "close_date": close_date}
        columns |= {k: v for k, v in optional.items() if v is not None}
        return cls._build(
            process,
            columns,
            dimension_columns(dimensions, function=fn, reserved=_CORE),
            date_format=check_date_format(date_format, function=fn),
            valid_years=check_valid_years(valid_years, function=fn),
            function=fn,
        )

    @classmethod
    def _build(
        cls,
        process: object,
        columns: Mapping[str, object],
        dimensions: Mapping[str, object],
        *,
        date_format: str | None,
        valid_years: tuple[int, int],
        function: str,
        names_in_frame: Mapping[str, str] | None = None,
    ) -> StageHistory:
        fn = function
        proc = instance(process, SalesProcess, name="process", function=fn, what="a SalesProcess")
        frame_names = dict(names_in_frame or {})

        def col(field: str) -> str | None:
            return frame_names.get(field)

        ids = as_ids(
            columns["opportunity"], field="opportunity", function=fn, column=col("opportunity")
        )
        codes = stage_codes(columns["stage"], proc, field="stage", function=fn, column=col("stage"))
        times = as_datetime(
            columns["entered"],
            field="entered",
            function=fn,
            date_format=date_format,
            valid_years=valid_years,
            column=col("entered"),
        ).values
        lengths = {"opportunity": ids.size, "stage": codes.size, "entered": times.size}
        if "reason" in columns:
            raw = to_array(columns["reason"], field="reason", function=fn)
            lengths["reason"] = raw.size
            texts = [("" if is_null(v) else str(v)) for v in raw.tolist()]
            reasons = np.array(texts, dtype=str) if texts else np.zeros(0, dtype="<U1")
        else:
            reasons = np.full(ids.size, "", dtype="<U1")
        amounts = None
        if "amount" in columns:
            amounts = deal_amounts(
                columns["amount"], field="amount", function=fn, column=col("amount")
            )
            lengths["amount"] = amounts.size
        closes = None
        if "close_date" in columns:
            closes = as_datetime(
                columns["close_date"],
                field="close_date",
                function=fn,
                date_format=date_format,
                valid_years=valid_years,
                column=col("close_date"),
            ).values
            lengths["close_date"] = closes.size
        dims_rows = {}
        for name, values in dimensions.items():
            dims_rows[name] = as_ids(values, field=name, function=fn, column=col(name))
            lengths[name] = dims_rows[name].size
        n = check_same_length(lengths, function=fn)
        fact = factorize(ids)
        order = np.argsort(fact.codes, kind="stable")
        g = fact.codes[order]
        offsets = np.zeros(fact.n_groups + 1, dtype=np.int64)
        np.cumsum(bincount(g, minlength=fact.n_groups), out=offsets[1:])
        s_codes = codes[order]
        s_times = times[order]
        same = g[1:] == g[:-1] if n else np.zeros(0, dtype=bool)
        back = same & (s_times[1:] < s_times[:-1])
        if back.any():
            mask = np.zeros(n, dtype=bool)
            mask[order[1:][back]] = True
            raise bad_rows_error(
                mask,
                times.astype(str),
                field="entered",
                requirement="must not go back in time within an opportunity",
                function=fn,
                column=col("entered"),
                hint="Sort each opportunity's rows by the time the stage was entered.",
            )
        closed = s_codes >= proc.won_code
        before = np.cumsum(closed) - closed  # closed rows before each row, overall
        after = (before - before[offsets[:-1]][g]) > 0 if n else closed
        if after.any():
            mask = np.zeros(n, dtype=bool)
            mask[order[after]] = True
            raise bad_rows_error(
                mask,
                np.asarray(proc.names)[codes],
                field="stage",
                requirement="must not continue after an opportunity is won or lost "
                "(a closed outcome cannot be revisited)",
                function=fn,
                column=col("stage"),
                hint="Reopened deals should be new opportunities.",
            )
        first_rows = order[offsets[:-1]] if fact.n_groups else order[:0]
        return cls(
            process=proc,
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
        date_format: str | None = None,
        valid_years: tuple[int, int] = DEFAULT_YEARS,
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
        date_format : str, optional
            A strftime pattern for dates that are not ISO-8601, as in :meth:`from_arrays`.
        valid_years : tuple of (int, int), default (1900, 2200)
            Years a date may fall in, as in :meth:`from_arrays`.

        Returns
        -------
        StageHistory

        Raises
        ------
        InputError
            As :meth:`from_arrays` (naming the crmkit field, with the frame's
            column in ``err.column``), and for a mapped column the frame lacks.

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
        fn = "StageHistory.from_frame"
        fmt = check_date_format(date_format, function=fn)
        years = check_valid_years(valid_years, function=fn)
        dims = names(
            dimensions, name="dimensions", function=fn, allow_empty=True, what="column names"
        )
        dimension_columns(dict.fromkeys(dims), function=fn, reserved=_CORE)
        mapping = {"opportunity": opportunity, "stage": stage, "entered": entered}
        optional = {"reason": reason, "amount": amount, "close_date": close_date}
        mapping |= {f: c for f, c in optional.items() if c is not None}
        mapping |= {d: d for d in dims}
        cols = read_columns(frame, mapping, function=fn)
        return cls._build(
            process,
            {f: cols[f] for f in mapping if f not in dims},
            {d: cols[d] for d in dims},
            date_format=fmt,
            valid_years=years,
            function=fn,
            names_in_frame=mapping,
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

    def state_at(self, when: object) -> IntArray:
        """Stage code of each opportunity at time *when* (-1 if not yet created).

        Parameters
        ----------
        when : date-like
            The snapshot time (a ``datetime64``, ``datetime`` or ISO-8601 text);
            a stage entered exactly at *when* counts.

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
        cut = scalar_datetime(when, field="when", function="StageHistory.state_at")
        return stage_at(self, cut)

    def __repr__(self) -> str:
        return f"StageHistory(rows={self.n_rows}, opportunities={self.n_opportunities})"


def stage_at(history: StageHistory, cut: np.datetime64) -> IntArray:
    """Return each opportunity's stage code at a validated ``datetime64[us]`` *cut*."""
    seen = history.entered <= cut
    count = np.add.reduceat(seen.astype(np.int64), history.offsets[:-1]) if seen.size else seen
    idx = history.offsets[:-1] + count - 1
    return np.where(count > 0, history.stage[np.maximum(idx, 0)], -1).astype(np.int64)

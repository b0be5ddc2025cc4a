"""``PipelineState``: the latest state of every deal a stage-history log has told about.

An application that embeds crmkit receives its CRM's stage-history log a day at
a time. Re-validating and re-reading the whole log every day is wasted work:
:meth:`PipelineState.update` folds only the new rows into a per-deal summary
(current stage, amount, close date, stage runs and completed stays), and every
calculation that needs the log (:func:`fit_stage_rates`, snapshots for
:func:`pipeline_movement`, deal aging) reads the summary. The batch path builds
the same summary with one update, so incremental and batch results are equal
bit for bit.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

import attrs
import numpy as np
import numpy.typing as npt

from crmkit._input import as_readonly, check_date_format, scalar_datetime
from crmkit._params import instance
from crmkit._reduce import bincount
from crmkit._results import frozen_mapping
from crmkit.errors import InputError
from crmkit.funnel._history import StageHistory
from crmkit.funnel._opportunities import Opportunities
from crmkit.funnel._process import SalesProcess

__all__ = ["PipelineState", "cut_history", "select_rows"]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
TimeArray = npt.NDArray[np.datetime64]
_FN: Final = "PipelineState.update"
_NEVER: Final = np.iinfo(np.int64).max
_NAT: Final = np.datetime64("NaT", "us")


def select_rows(history: StageHistory, keep: npt.NDArray[np.bool_]) -> StageHistory:
    """Return the rows of *history* where *keep* is true (opportunities left empty dropped)."""
    opp_rows = bincount(history.row_opportunity[keep], minlength=history.n_opportunities)
    alive = opp_rows > 0
    new_index = np.cumsum(alive) - 1
    offsets = np.zeros(int(alive.sum()) + 1, dtype=np.int64)
    np.cumsum(opp_rows[alive], out=offsets[1:])
    return attrs.evolve(
        history,
        opportunity=as_readonly(history.opportunity[alive]),
        offsets=as_readonly(offsets),
        row_opportunity=as_readonly(new_index[history.row_opportunity[keep]].astype(np.int64)),
        stage=as_readonly(history.stage[keep]),
        entered=as_readonly(history.entered[keep]),
        reason=as_readonly(history.reason[keep]),
        dimensions={k: as_readonly(v[alive]) for k, v in history.dimensions.items()},
        amount=None if history.amount is None else as_readonly(history.amount[keep]),
        close_date=None if history.close_date is None else as_readonly(history.close_date[keep]),
    )


def cut_history(history: StageHistory, cut: np.datetime64) -> StageHistory:
    """Return the rows of *history* entered strictly before *cut*."""
    return select_rows(history, history.entered < cut)


def _merge(old: npt.NDArray[Any], new: npt.NDArray[Any], dest: IntArray) -> npt.NDArray[Any]:
    """Interleave *new* rows into *old* so that they land at positions *dest*."""
    if old.shape[0] == 0:  # the batch path: nothing to interleave
        return as_readonly(new)
    total = old.shape[0] + new.shape[0]
    dtype = np.result_type(old, new) if old.dtype.kind == new.dtype.kind else old.dtype
    out = np.empty((total, *old.shape[1:]), dtype=dtype)
    mask = np.ones(total, dtype=bool)
    mask[dest] = False
    out[mask] = old
    out[dest] = new
    return as_readonly(out)


@attrs.frozen(kw_only=True, repr=False)
class PipelineState:
    """Per-deal summary of a stage-history log, updated one batch of rows at a time.

    Attributes
    ----------
    process : SalesProcess
        The stages the codes refer to.
    opportunity : ndarray, shape (m,)
        Deal ids seen so far, ascending.
    first_entered, last_entered : ndarray of datetime64[us], shape (m,)
        Time of each deal's first and latest row.
    stage : ndarray of int64, shape (m,)
        Stage code after the latest row (won/lost codes for closed deals).
    stage_entered : ndarray of datetime64[us], shape (m,)
        When the current stage was entered (the start of its run of rows).
    max_open_stage : ndarray of int64, shape (m,)
        Furthest open stage entered (-1 if none).
    reason : ndarray of str, shape (m,)
        Reason on the latest row ("" if none).
    amount : ndarray of float64, shape (m,), or None
        Amount after the latest row, when the log carries amounts.
    close_date : ndarray of datetime64[us], shape (m,), or None
        Close date after the latest row, when the log carries close dates.
    dimensions : mapping of str to ndarray, shape (m,) each
        Each deal's attributes from its first row.
    first_in_stage : ndarray of datetime64[us], shape (m, k)
        First time each open stage was entered (NaT if never).
    spell_opportunity : ndarray, shape (p,)
        Deal of each completed stay in an open stage.
    spell_owner : ndarray of int64, shape (p,)
        Its index in ``opportunity``.
    spell_stage : ndarray of int64, shape (p,)
        Stage of the stay.
    spell_start, spell_end : ndarray of datetime64[us], shape (p,)
        When the stay began and when the next stage was entered.
    n_rows : int
        Log rows folded in so far.
    as_of : numpy.datetime64 or None
        The cut-off of :meth:`from_history` (rows before it), if one was given.

    Examples
    --------
    A day-by-day feed gives the same rates as the whole log at once:

    >>> from crmkit.datasets import simulate_pipeline
    >>> from crmkit.funnel import fit_stage_rates
    >>> log = simulate_pipeline(300, "2023-01-01", "2024-01-01", seed=2).history
    >>> state = PipelineState.from_history(log, as_of="2023-07-01")
    >>> for day in ("2023-10-01", "2024-01-01"):
    ...     state = state.update(log, until=day)
    >>> a, b = fit_stage_rates(state), fit_stage_rates(log)
    >>> bool((a.win_rate == b.win_rate).all() and (a.mean_days == b.mean_days).all())
    True
    """

    process: SalesProcess
    opportunity: npt.NDArray[Any]
    first_entered: TimeArray
    last_entered: TimeArray
    stage: IntArray
    stage_entered: TimeArray
    max_open_stage: IntArray
    reason: npt.NDArray[np.str_]
    amount: FloatArray | None
    close_date: TimeArray | None
    dimensions: Mapping[str, npt.NDArray[Any]] = attrs.field(converter=frozen_mapping)
    first_in_stage: TimeArray
    spell_opportunity: npt.NDArray[Any]
    spell_owner: IntArray
    spell_stage: IntArray
    spell_start: TimeArray
    spell_end: TimeArray
    n_rows: int
    as_of: np.datetime64 | None = None

    @classmethod
    def from_history(
        cls,
        history: StageHistory,
        *,
        as_of: object | None = None,
        date_format: str | None = None,
    ) -> PipelineState:
        """Summarise a whole log (its rows entered before *as_of*, if given).

        Parameters
        ----------
        history : StageHistory
            The log.
        as_of : date-like, optional
            Use only rows entered strictly before it.
        date_format : str, optional
            A strftime pattern to read *as_of* in when it is text that is not
            ISO-8601 (the layout the log's own dates were read with).

        Returns
        -------
        PipelineState

        Raises
        ------
        InputError
            For a *history* that is not a :class:`StageHistory`, or an
            unreadable, missing-looking or out-of-window *as_of*.

        Examples
        --------
        >>> from crmkit.funnel import DEFAULT_PROCESS, StageHistory
        >>> h = StageHistory.from_arrays(
        ...     process=DEFAULT_PROCESS,
        ...     opportunity=[1, 1, 1],
        ...     stage=["plan", "plan", "close"],
        ...     entered=["2024-01-01", "2024-01-05", "2024-01-20"],
        ... )
        >>> s = PipelineState.from_history(h)
        >>> s.spell_stage.tolist(), str(s.stage_entered[0])[:10]
        ([2], '2024-01-20')
        """
        fn = "PipelineState.from_history"
        instance(history, StageHistory, name="history", function=fn, what="a StageHistory")
        fmt = check_date_format(date_format, function=fn)
        cut = None
        if as_of is not None:
            cut = scalar_datetime(as_of, field="as_of", function=fn, date_format=fmt)
            history = cut_history(history, cut)
        return attrs.evolve(cls._empty(history).update(history), as_of=cut)

    @classmethod
    def _empty(cls, history: StageHistory) -> PipelineState:
        k = history.process.n_stages
        no_t = np.zeros(0, dtype="datetime64[us]")
        no_i = np.zeros(0, dtype=np.int64)
        return cls(
            process=history.process,
            opportunity=history.opportunity[:0],
            first_entered=no_t,
            last_entered=no_t,
            stage=no_i,
            stage_entered=no_t,
            max_open_stage=no_i,
            reason=np.zeros(0, dtype="<U1"),
            amount=None if history.amount is None else np.zeros(0),
            close_date=None if history.close_date is None else no_t,
            dimensions={name: v[:0] for name, v in history.dimensions.items()},
            first_in_stage=np.zeros((0, k), dtype="datetime64[us]"),
            spell_opportunity=history.opportunity[:0],
            spell_owner=no_i,
            spell_stage=no_i,
            spell_start=no_t,
            spell_end=no_t,
            n_rows=0,
        )

    def update(
        self,
        rows: StageHistory,
        *,
        since: object | None = None,
        until: object | None = None,
        date_format: str | None = None,
    ) -> PipelineState:
        """Fold new log rows into the state; return the new state (this one is unchanged).

        Parameters
        ----------
        rows : StageHistory
            The new rows (e.g. one day of the log). Rows of a deal already in
            the state must not be earlier than its latest row, nor follow its
            won/lost row.
        since, until : date-like, optional
            Use only the rows of *rows* entered in ``[since, until)``; by default
            ``since`` is the state's ``as_of``, so a whole log can be fed in
            consecutive slices; ``as_of`` becomes ``until`` (None after an
            update without bounds).
        date_format : str, optional
            A strftime pattern to read *since* and *until* in when they are
            text that is not ISO-8601.

        Returns
        -------
        PipelineState

        Raises
        ------
        InputError
            For rows of another process, a slice without a start (no ``since``
            and no ``as_of``), an ``until`` not after the start, other
            dimension or amount/close-date columns than the state's, ids of
            another kind (ints vs strings), rows earlier than a deal's latest
            row, or rows after a deal was won or lost.

        Examples
        --------
        >>> from crmkit.funnel import DEFAULT_PROCESS, StageHistory
        >>> day1 = StageHistory.from_arrays(
        ...     process=DEFAULT_PROCESS, opportunity=[1], stage=["plan"], entered=["2024-01-01"]
        ... )
        >>> day2 = StageHistory.from_arrays(
        ...     process=DEFAULT_PROCESS, opportunity=[1], stage=["won"], entered=["2024-01-09"]
        ... )
        >>> s = PipelineState.from_history(day1).update(day2)
        >>> s.stage.tolist(), s.spell_stage.tolist()
        ([5], [2])
        """
        instance(rows, StageHistory, name="rows", function=_FN, what="a StageHistory")
        fmt = check_date_format(date_format, function=_FN)
        if since is None and until is None:
            return attrs.evolve(self._absorb(rows), as_of=None)
        lo = (
            scalar_datetime(since, field="since", function=_FN, date_format=fmt)
            if since is not None
            else self.as_of
        )
        if lo is None:
            raise InputError.for_parameter(
                "since",
                "a date when the state has no as_of to continue from",
                None,
                function=_FN,
                hint="Build the state with from_history(..., as_of=...) or pass since=...",
            )
        keep = rows.entered >= lo
        hi = None
        if until is not None:
            hi = scalar_datetime(until, field="until", function=_FN, date_format=fmt)
            if hi <= lo:
                raise InputError.for_parameter(
                    "until", f"after since ({lo})", str(hi), function=_FN
                )
            keep &= rows.entered < hi
        return attrs.evolve(self._absorb(select_rows(rows, keep)), as_of=hi)

    def _check(self, rows: StageHistory) -> None:
        if rows.process != self.process:
            raise InputError.for_parameter(
                "rows", "rows of the state's sales process", "another SalesProcess", function=_FN
            )
        if set(rows.dimensions) != set(self.dimensions):
            raise InputError.for_parameter(
                "rows",
                f"rows with the state's dimensions {sorted(self.dimensions)}",
                sorted(rows.dimensions),
                function=_FN,
            )
        for name, present in (("amount", self.amount), ("close_date", self.close_date)):
            if (getattr(rows, name) is None) != (present is None):
                have = "with" if present is not None else "without"
                raise InputError.for_parameter(
                    "rows",
                    f"rows {have} a {name!r} column, as the state",
                    "the other",
                    function=_FN,
                )
        for name, values in self.dimensions.items():
            new = rows.dimensions[name]
            if values.size and new.size and (values.dtype.kind == "U") != (new.dtype.kind == "U"):
                raise InputError.for_parameter(
                    "rows",
                    f"rows whose {name!r} values are of the state's kind (ints or strings)",
                    str(new.dtype),
                    function=_FN,
                )
        if (
            self.opportunity.size
            and rows.n_opportunities
            and ((self.opportunity.dtype.kind == "U") != (rows.opportunity.dtype.kind == "U"))
        ):
            raise InputError.for_parameter(
                "rows",
                "rows whose opportunity ids are of the state's kind (ints or strings)",
                str(rows.opportunity.dtype),
                function=_FN,
            )

    def _absorb(self, h: StageHistory) -> PipelineState:
        self._check(h)
        won_code = self.process.won_code
        k = self.process.n_stages
        m, n = self.opportunity.size, h.n_rows
        g = h.row_opportunity
        ids = h.opportunity
        if m and ids.size:
            old = self.opportunity.astype(ids.dtype) if ids.dtype.kind == "U" else self.opportunity
            pos = np.clip(np.searchsorted(old, ids), 0, m - 1)
            found = old[pos] == ids
        else:
            pos = np.zeros(ids.size, dtype=np.int64)
            found = np.zeros(ids.size, dtype=bool)
        first = h.offsets[:-1]
        last = h.offsets[1:] - 1
        if found.any():
            fp = pos[found]
            early = h.entered[first[found]] < self.last_entered[fp]
            if early.any():
                rows_bad = first[found][early]
                raise InputError.for_rows(
                    "entered",
                    "must not be earlier than the deal's latest row already in the state",
                    positions=rows_bad[:5].tolist(),
                    values=[str(h.entered[r]) for r in rows_bad[:5]],
                    n_bad=int(rows_bad.size),
                    function=_FN,
                    hint="Feed each deal's rows in time order; positions are in the rows' "
                    "per-deal order.",
                )
            closed = self.stage[fp] >= won_code
            if closed.any():
                rows_bad = first[found][closed]
                raise InputError.for_rows(
                    "stage",
                    "must not continue after the deal was won or lost",
                    positions=rows_bad[:5].tolist(),
                    values=[self.process.names[c] for c in h.stage[rows_bad[:5]]],
                    n_bad=int(rows_bad.size),
                    function=_FN,
                    hint="Reopened deals should be new opportunities.",
                )
        # the stage each row continues from: the previous row, or the state's current stage
        prev_stage = np.empty(n, dtype=np.int64)
        if n:
            prev_stage[1:] = h.stage[:-1]
        starts = np.zeros(n, dtype=bool)
        starts[first] = True
        carried = np.full(ids.size, -1, dtype=np.int64)
        carried[found] = self.stage[pos[found]]
        prev_stage[first] = carried
        new_run = h.stage != prev_stage
        run_rows = np.flatnonzero(new_run)
        # completed stays: each run start closes the run before it
        prev_run = np.full(run_rows.size, -1, dtype=np.int64)
        if run_rows.size:
            prev_run[1:] = run_rows[:-1]
        same_deal = np.zeros(run_rows.size, dtype=bool)
        if run_rows.size > 1:
            same_deal[1:] = g[run_rows[1:]] == g[run_rows[:-1]]
        inner = same_deal
        boundary = ~same_deal & found[g[run_rows]]
        sp_stage = np.concatenate(
            [h.stage[prev_run[inner]], self.stage[pos[g[run_rows[boundary]]]]]
        )
        sp_start = np.concatenate(
            [h.entered[prev_run[inner]], self.stage_entered[pos[g[run_rows[boundary]]]]]
        )
        sp_end = np.concatenate([h.entered[run_rows[inner]], h.entered[run_rows[boundary]]])
        sp_g = np.concatenate([g[run_rows[inner]], g[run_rows[boundary]]])
        sp_opp = ids[sp_g]
        open_spell = sp_stage < won_code
        # the current run of each deal in the rows
        last_start = np.full(ids.size, -1, dtype=np.int64)
        if run_rows.size:
            np.maximum.at(last_start, g[run_rows], run_rows)
        stage_entered = np.where(
            last_start >= 0, h.entered[np.maximum(last_start, 0)], _NAT
        ).astype("datetime64[us]")
        if found.any():
            keep_old = found & (last_start < 0)
            stage_entered[keep_old] = self.stage_entered[pos[keep_old]]
        top = h.max_open_stage
        # first entry of each open stage: at a run start; when no deal goes back to a stage
        # in these rows each (deal, stage) has one run and a plain assignment is exact
        flat_fis = np.full(ids.size * k, _NEVER, dtype=np.int64)
        open_runs = run_rows[h.stage[run_rows] < k]
        run_key = g[open_runs] * k + h.stage[open_runs]
        run_time = h.entered[open_runs].view(np.int64)
        if np.all(run_key[1:] > run_key[:-1]):
            flat_fis[run_key] = run_time
        else:
            np.minimum.at(flat_fis, run_key, run_time)
        fis = flat_fis.reshape(ids.size, k)
        # deals already known: combine with their summary
        if found.any():
            fp = pos[found]
            top = top.copy()
            top[found] = np.maximum(top[found], self.max_open_stage[fp])
            old_fis = self.first_in_stage[fp].view(np.int64)
            old_fis = np.where(np.isnat(self.first_in_stage[fp]), _NEVER, old_fis)
            fis[found] = np.minimum(fis[found], old_fis)
        fis_t = np.where(fis == _NEVER, np.iinfo(np.int64).min, fis).view("datetime64[us]")
        fresh = ~found
        cols_new: dict[str, npt.NDArray[Any]] = {
            "first_entered": h.entered[first],
            "last_entered": h.entered[last],
            "stage": h.stage[last],
            "stage_entered": stage_entered,
            "max_open_stage": top,
            "reason": h.reason[last],
        }
        if h.amount is not None:
            cols_new["amount"] = h.amount[last]
        if h.close_date is not None:
            cols_new["close_date"] = h.close_date[last]
        # write the known deals in place, then interleave the new ones
        updated: dict[str, npt.NDArray[Any]] = {}
        for name, values in cols_new.items():
            base = getattr(self, name)
            if name != "first_entered" and found.any():
                dtype = (
                    np.result_type(base, values)
                    if base.dtype.kind == values.dtype.kind
                    else base.dtype
                )
                base = base.astype(dtype, copy=True)
                base[pos[found]] = values[found]
            updated[name] = base
        fis_all = self.first_in_stage.copy()
        if found.any():
            fis_all[pos[found]] = fis_t[found]
        dest = np.searchsorted(
            self.opportunity.astype(ids.dtype)
            if (m and ids.dtype.kind == "U")
            else self.opportunity,
            ids[fresh],
        ) + np.arange(int(fresh.sum()))
        every = bool(fresh.all())  # the batch path: no gather of the new deals

        def new_rows(values: npt.NDArray[Any]) -> npt.NDArray[Any]:
            return values if every else values[fresh]

        merged = {name: _merge(updated[name], new_rows(cols_new[name]), dest) for name in cols_new}
        # where every deal lands in the merged arrays (old ones shift past the new ones)
        if fresh.any() and m:
            keys = self.opportunity.astype(ids.dtype) if ids.dtype.kind == "U" else self.opportunity
            moved_old = np.arange(m, dtype=np.int64) + np.searchsorted(ids[fresh], keys)
        else:
            moved_old = np.arange(m, dtype=np.int64)
        landed = np.empty(ids.size, dtype=np.int64)
        landed[found] = moved_old[pos[found]]
        landed[fresh] = dest
        dims = {
            name: _merge(values, new_rows(h.dimensions[name]), dest)
            for name, values in self.dimensions.items()
        }
        return attrs.evolve(
            self,
            opportunity=_merge(self.opportunity, new_rows(ids), dest),
            first_entered=merged["first_entered"],
            last_entered=merged["last_entered"],
            stage=merged["stage"],
            stage_entered=merged["stage_entered"],
            max_open_stage=merged["max_open_stage"],
            reason=merged["reason"],
            amount=merged.get("amount"),
            close_date=merged.get("close_date"),
            dimensions=dims,
            first_in_stage=_merge(fis_all, new_rows(fis_t), dest),
            spell_opportunity=as_readonly(
                np.concatenate([self.spell_opportunity, sp_opp[open_spell]])
            ),
            spell_owner=as_readonly(
                np.concatenate([moved_old[self.spell_owner], landed[sp_g[open_spell]]])
            ),
            spell_stage=as_readonly(np.concatenate([self.spell_stage, sp_stage[open_spell]])),
            spell_start=as_readonly(np.concatenate([self.spell_start, sp_start[open_spell]])),
            spell_end=as_readonly(np.concatenate([self.spell_end, sp_end[open_spell]])),
            n_rows=self.n_rows + n,
        )

    @property
    def n_opportunities(self) -> int:
        """Deals seen so far."""
        return int(self.opportunity.size)

    @property
    def is_closed(self) -> npt.NDArray[np.bool_]:
        """Which deals are won or lost."""
        return self.stage >= self.process.won_code

    def snapshot(self) -> Opportunities:
        """Return every deal as the log has it now (open and closed), as ``Opportunities``.

        Returns
        -------
        Opportunities
            Stage, amount and close date after each deal's latest row; created
            is its first row. Closed deals without a ``close_date`` column in the
            log get their outcome time as close date; open ones NaT.

        Raises
        ------
        InputError
            If the log carries no ``amount`` column.

        Examples
        --------
        >>> from crmkit.funnel import DEFAULT_PROCESS, StageHistory
        >>> h = StageHistory.from_arrays(
        ...     process=DEFAULT_PROCESS,
        ...     opportunity=[1, 1, 2],
        ...     stage=["plan", "won", "qualify"],
        ...     entered=["2024-01-01", "2024-02-01", "2024-01-15"],
        ...     amount=[5e3, 6e3, 2e3],
        ...     close_date=["2024-03-01", "2024-02-01", "2024-04-01"],
        ... )
        >>> snap = PipelineState.from_history(h).snapshot()
        >>> snap.stage_names.tolist(), snap.amount.tolist()
        (['won', 'qualify'], [6000.0, 2000.0])
        """
        if self.amount is None:
            raise InputError(
                "PipelineState.snapshot needs a log with an 'amount' column.",
                field="amount",
                hint="Build the StageHistory with amount=... (the deal value after each row).",
            )
        if self.close_date is not None:
            close = self.close_date
        else:
            close = np.where(self.is_closed, self.last_entered, _NAT).astype("datetime64[us]")
        n = self.n_opportunities
        return Opportunities(
            process=self.process,
            id=self.opportunity,
            amount=self.amount,
            stage=self.stage,
            close_date=as_readonly(close),
            created=self.first_entered,
            category=as_readonly(self.process.categories[self.stage]),
            probability=as_readonly(np.full(n, np.nan)),
            dimensions=dict(self.dimensions),
        )

    def __repr__(self) -> str:
        return (
            f"PipelineState(opportunities={self.n_opportunities}, "
            f"closed={int(self.is_closed.sum())}, rows={self.n_rows})"
        )

"""Exceptions and warnings raised by crmkit.

Every exception crmkit raises on purpose derives from :class:`CrmkitError`, so
an application can catch the whole family with one ``except`` clause.
Exceptions about bad input also derive from the matching builtin
(``InputError`` is a :class:`ValueError`), so generic handlers keep working.

Messages follow one template: which parameter or column, of which function,
must be what, got what, and a ``Hint:`` where a fix is known.

Examples
--------
>>> from crmkit import Transactions
>>> from crmkit.errors import InputError
>>> try:
...     Transactions.from_arrays(customer=[1, 2], timestamp=["2024-01-01"], amount=[5.0, 7.0])
... except InputError as err:
...     print(err.field)
timestamp
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = [
    "CashFlowError",
    "ConvergenceWarning",
    "CrmkitError",
    "CrmkitWarning",
    "EngineError",
    "FitError",
    "InputError",
    "ModelDefinitionError",
    "MultipleIRRError",
    "NoIRRError",
    "NoSignChangeError",
    "TooManyChannelsError",
    "TransitionError",
]

_MAX_SHOWN = 5


class CrmkitError(Exception):
    """Root of every exception crmkit raises on purpose.

    Examples
    --------
    >>> from crmkit.errors import CrmkitError, InputError
    >>> issubclass(InputError, CrmkitError)
    True
    """


class InputError(CrmkitError, ValueError):
    """Bad input: a missing column, a wrong value, a length mismatch.

    Parameters
    ----------
    message : str
        What is wrong and what would be valid.
    field : str or None
        The parameter or column at fault.
    n_bad : int or None
        How many rows are wrong, when rows are at fault.
    positions : sequence of int
        The first offending row positions (0-based), at most five.
    values : sequence of object
        The offending values at those positions.
    hint : str or None
        How to fix the problem, appended to the message as ``Hint: ...``.
    column : str or None
        The caller's own name for the column, when it differs from *field*
        (``field="timestamp"``, ``column="order_date"``).

    Examples
    --------
    >>> err = InputError.for_rows(
    ...     "x",
    ...     "must be finite",
    ...     positions=[3, 8],
    ...     values=[float("nan"), 1],
    ...     n_bad=2,
    ...     function="f",
    ... )
    >>> print(err)
    The 'x' column of f must be finite: 2 bad rows, first at positions [3, 8] with values [nan, 1].
    >>> err.n_bad
    2
    """

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        n_bad: int | None = None,
        positions: Sequence[int] = (),
        values: Sequence[object] = (),
        hint: str | None = None,
        column: str | None = None,
    ) -> None:
        self.field = field
        self.column = column
        self.n_bad = n_bad
        self.positions = tuple(int(p) for p in positions)
        self.values = tuple(values)
        self.hint = hint
        full = message if hint is None else f"{message}\nHint: {hint}"
        super().__init__(full)

    @classmethod
    def for_rows(
        cls,
        field: str,
        requirement: str,
        *,
        positions: Sequence[int],
        values: Sequence[object],
        n_bad: int,
        function: str,
        kind: str = "column",
        hint: str | None = None,
        column: str | None = None,
    ) -> InputError:
        """Build the standard error for rows that break a requirement.

        Parameters
        ----------
        field : str
            Column or parameter name.
        requirement : str
            What valid rows satisfy, e.g. ``"must be finite"``.
        positions, values : sequence
            First offending positions and their values (the first five are shown).
        n_bad : int
            Total number of offending rows.
        function : str
            The public function or class that rejected the input.
        kind : str
            ``"column"`` or ``"parameter"``.
        hint : str or None
            How to fix it.
        column : str or None
            The caller's name for the column, shown beside *field* when it differs.

        Returns
        -------
        InputError
            The error, ready to raise.

        Examples
        --------
        >>> InputError.for_rows(
        ...     "customer",
        ...     "must not be null",
        ...     positions=[0],
        ...     values=[None],
        ...     n_bad=1,
        ...     function="f",
        ... ).positions
        (0,)
        """
        shown_pos = [int(p) for p in positions[:_MAX_SHOWN]]
        shown_val = [_plain(v) for v in values[:_MAX_SHOWN]]
        noun = "row" if n_bad == 1 else "rows"
        where = "at position" if len(shown_pos) == 1 else "first at positions"
        pos_text = shown_pos[0] if len(shown_pos) == 1 else shown_pos
        val_text = "value" if len(shown_val) == 1 else "values"
        shown = shown_val[0] if len(shown_val) == 1 else shown_val
        alias = f" ({column!r})" if column is not None and column != field else ""
        message = (
            f"The {field!r} {kind}{alias} of {function} {requirement}: {n_bad} bad {noun}, "
            f"{where} {pos_text} with {val_text} {shown!r}."
        )
        return cls(
            message,
            field=field,
            n_bad=n_bad,
            positions=shown_pos,
            values=shown_val,
            hint=hint,
            column=column,
        )

    @classmethod
    def for_parameter(
        cls,
        field: str,
        requirement: str,
        got: object,
        *,
        function: str,
        hint: str | None = None,
    ) -> InputError:
        """Build the one-line parameter error, scikit-learn style.

        Parameters
        ----------
        field : str
            Parameter name.
        requirement : str
            What a valid value is, e.g. ``"an int >= 2"``.
        got : object
            The value received.
        function : str
            The public function that rejected it.
        hint : str or None
            How to fix it.

        Returns
        -------
        InputError
            The error, ready to raise.

        Examples
        --------
        >>> print(InputError.for_parameter("k", "an int >= 2", 1, function="rfm_scores"))
        The 'k' parameter of rfm_scores must be an int >= 2. Got 1 instead.
        """
        message = (
            f"The {field!r} parameter of {function} must be {requirement}. "
            f"Got {_plain(got)!r} instead."
        )
        return cls(message, field=field, hint=hint)


class EngineError(CrmkitError, RuntimeError):
    """A frame engine (DuckDB, polars, Dask, Spark, ...) refused or failed a step crmkit ran in it.

    Raised instead of the engine's own exception, which is attached as
    ``__cause__`` and whose message is kept in :attr:`engine_message`.

    Parameters
    ----------
    message : str
        What crmkit asked the engine to do.
    engine : str
        The engine, as narwhals names it (``"duckdb"``, ``"pyspark"``, ...).
    step : str
        The step that failed (``"check the rows"``, ``"aggregate per customer"``, ...).
    field : str or None
        The crmkit field whose column the failing expression reads, when known.
    column : str or None
        The caller's name for that column.
    engine_message : str
        The engine's own message (its first lines).
    hint : str or None
        How to fix it, appended as ``Hint: ...``.

    Examples
    --------
    >>> err = EngineError(
    ...     "rfm_summary could not check the rows in duckdb.",
    ...     engine="duckdb",
    ...     step="check the rows",
    ...     field="amount",
    ...     column="eur",
    ...     engine_message="Conversion Error: Could not convert string 'x' to DOUBLE",
    ... )
    >>> err.engine, err.step, err.field
    ('duckdb', 'check the rows', 'amount')
    >>> issubclass(EngineError, RuntimeError)
    True
    """

    def __init__(
        self,
        message: str,
        *,
        engine: str,
        step: str,
        field: str | None = None,
        column: str | None = None,
        engine_message: str = "",
        hint: str | None = None,
    ) -> None:
        self.engine = engine
        self.step = step
        self.field = field
        self.column = column
        self.engine_message = engine_message
        self.hint = hint
        full = message if not engine_message else f"{message}\n{engine} said: {engine_message}"
        if hint is not None:
            full = f"{full}\nHint: {hint}"
        super().__init__(full)


class ModelDefinitionError(CrmkitError, ValueError):
    """A model definition (lifecycle, pipeline, rule table) is inconsistent.

    Parameters
    ----------
    message : str
        What is inconsistent and how to fix it.
    field : str or None
        The part of the definition at fault (``"stages"``, ``"initial"``,
        ``"transitions"``, ...), as :class:`InputError` names its field.

    Examples
    --------
    >>> issubclass(ModelDefinitionError, ValueError)
    True
    >>> ModelDefinitionError("The initial stage 'x' is not a stage.", field="initial").field
    'initial'
    """

    def __init__(self, message: str, *, field: str | None = None) -> None:
        self.field = field
        super().__init__(message)


class TransitionError(CrmkitError, ValueError):
    """An event is not allowed from a customer's current lifecycle stage.

    Examples
    --------
    >>> issubclass(TransitionError, CrmkitError)
    True
    """


class FitError(CrmkitError, RuntimeError):
    """A model could not be fitted; the message names the model and the optimiser outcome.

    Examples
    --------
    >>> issubclass(FitError, RuntimeError)
    True
    """


class TooManyChannelsError(InputError):
    """More channels than an exact attribution model can enumerate (the limit is in the message).

    Examples
    --------
    >>> issubclass(TooManyChannelsError, InputError)
    True
    """


class CashFlowError(CrmkitError, ValueError):
    """Cash flows for which a rate of return is not defined as asked.

    Parameters
    ----------
    message : str
        What is wrong, for which scenario rows, and what to do instead.
    rows : sequence of int
        The offending scenario rows (0-based; row 0 for a single series), at most five.
    n_bad : int
        How many scenario rows are affected.

    Examples
    --------
    >>> err = NoSignChangeError("no sign change", rows=[2], n_bad=1)
    >>> isinstance(err, CashFlowError), err.rows
    (True, (2,))
    """

    def __init__(self, message: str, *, rows: Sequence[int] = (), n_bad: int = 0) -> None:
        self.rows = tuple(int(r) for r in rows[:_MAX_SHOWN])
        self.n_bad = int(n_bad)
        super().__init__(message)


class NoIRRError(CashFlowError):
    """No internal rate of return: NPV never reaches 0 for a rate above -100%.

    Examples
    --------
    >>> issubclass(NoIRRError, ValueError)
    True
    """


class NoSignChangeError(NoIRRError):
    """The cash flows never change sign (all in or all out), so no rate makes NPV zero.

    Examples
    --------
    >>> issubclass(NoSignChangeError, NoIRRError)
    True
    """


class MultipleIRRError(CashFlowError):
    """Several rates make NPV zero; ``n_roots`` says how many for each row named.

    Parameters
    ----------
    message : str
        The rows, how many roots each has, and the roots of the first.
    rows : sequence of int
        The offending scenario rows (at most five).
    n_bad : int
        How many scenario rows have more than one root.
    n_roots : sequence of int
        The number of roots of each row in ``rows``.

    Examples
    --------
    >>> MultipleIRRError("two roots", rows=[0], n_bad=1, n_roots=[2]).n_roots
    (2,)
    """

    def __init__(
        self,
        message: str,
        *,
        rows: Sequence[int] = (),
        n_bad: int = 0,
        n_roots: Sequence[int] = (),
    ) -> None:
        self.n_roots = tuple(int(n) for n in n_roots[:_MAX_SHOWN])
        super().__init__(message, rows=rows, n_bad=n_bad)


class CrmkitWarning(UserWarning):
    """Root of the warnings crmkit emits, so callers can filter them as a family.

    Examples
    --------
    >>> issubclass(ConvergenceWarning, CrmkitWarning)
    True
    """


class ConvergenceWarning(CrmkitWarning):
    """A fit finished but its diagnostics say it should not be trusted blindly.

    Examples
    --------
    >>> issubclass(ConvergenceWarning, UserWarning)
    True
    """


def _plain(value: object) -> object:
    """Turn numpy scalars into Python ones so messages read naturally."""
    item = getattr(value, "item", None)
    if callable(item):
        try:
            return item()
        except (TypeError, ValueError):
            return value
    return value

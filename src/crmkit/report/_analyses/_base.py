"""What one analysis yields: its findings in words, small tables, chart requests, the full table.

Presentation layer. Each analysis function (one per analysis, in the modules
beside this one) calls crmkit's public functions and returns an
:class:`Analysis`; the report puts analyses together into its seven sections
and the command line prints them, so a finding is computed and worded once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt

from crmkit._results import frozen_mapping
from crmkit.report._model import ColumnFormat, Table

__all__ = [
    "Analysis",
    "ChartRequest",
    "Column",
    "Detail",
    "combine",
    "day",
    "money",
    "pct",
]

Column = tuple[str, str, ColumnFormat]
"""A column of a detail table: (field of the columns, heading, format)."""


def money(x: float) -> str:
    """Write an amount for a sentence: ``1,234`` (no decimals)."""
    return f"{x:,.0f}"


def pct(x: float, digits: int = 0) -> str:
    """Write a share for a sentence: ``66 %`` (``66.4 %`` with *digits* 1)."""
    return f"{100 * x:.{digits}f} %"


def day(t: object) -> str:
    """Write a timestamp as its day, ``2024-07-01``."""
    return str(np.asarray(t).astype("datetime64[D]"))


@attrs.frozen(kw_only=True)
class ChartRequest:
    """A chart to draw: ``crmkit.plot.<name>(result, **options)``, with its caption."""

    name: str
    title: str
    result: object
    options: Mapping[str, object] = attrs.field(factory=dict, converter=frozen_mapping)


def _columns(value: Sequence[Column]) -> tuple[Column, ...]:
    return tuple(value)


@attrs.frozen(kw_only=True)
class Detail:
    """The full per-row table of an analysis: the terminal shows its head, ``--out`` writes it.

    Attributes
    ----------
    title : str
        What one row is ("Segment per customer").
    columns : mapping of str to ndarray
        Every column, one entry per row: what ``--out`` writes as CSV or Parquet.
    shown : tuple of Column
        The columns the terminal shows, with their headings and formats.
    result : object
        The crmkit result written in full by ``--out FILE.json``.
    rows : int or None
        Rows shown on the terminal; None leaves it to ``--rows``.
    """

    title: str
    columns: Mapping[str, npt.NDArray[Any]] = attrs.field(converter=frozen_mapping)
    shown: tuple[Column, ...] = attrs.field(converter=_columns)
    result: object
    rows: int | None = None


def _texts(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(str(v) for v in values)


def _tables(values: Iterable[Table]) -> tuple[Table, ...]:
    return tuple(values)


def _charts(values: Iterable[ChartRequest]) -> tuple[ChartRequest, ...]:
    return tuple(values)


@attrs.frozen(kw_only=True)
class Analysis:
    """One analysis done: its findings in words and what backs them.

    Attributes
    ----------
    headlines : tuple of str
        The findings as sentences, numbers included.
    tables : tuple of Table
        Small tables, cut to the rows worth reading.
    charts : tuple of ChartRequest
        The charts that show it (drawn by the report only).
    functions : tuple of str
        Every crmkit function that produced the numbers.
    notes : tuple of str
        Caveats in words (rows left out, a fit to read with care).
    detail : Detail or None
        The full per-row table, for the command line.
    as_of : numpy.datetime64 or None
        The end of observation the analysis used, when it chose one.
    """

    headlines: tuple[str, ...] = attrs.field(default=(), converter=_texts)
    tables: tuple[Table, ...] = attrs.field(default=(), converter=_tables)
    charts: tuple[ChartRequest, ...] = attrs.field(default=(), converter=_charts)
    functions: tuple[str, ...] = attrs.field(default=(), converter=_texts)
    notes: tuple[str, ...] = attrs.field(default=(), converter=_texts)
    detail: Detail | None = None
    as_of: np.datetime64 | None = None


def combine(*parts: Analysis, detail: Detail | None = None) -> Analysis:
    """Put analyses one after the other (functions once each, in order), with *detail*."""
    return Analysis(
        headlines=[h for p in parts for h in p.headlines],
        tables=[t for p in parts for t in p.tables],
        charts=[c for p in parts for c in p.charts],
        functions=list(dict.fromkeys(f for p in parts for f in p.functions)),
        notes=[n for p in parts for n in p.notes],
        detail=detail,
    )

"""The values a report is made of: tables, charts, sections and the report itself."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import ClassVar, Literal, cast

import attrs
import numpy as np

from crmkit._results import Result, frozen_mapping
from crmkit.errors import InputError

__all__ = ["Cell", "Chart", "ColumnFormat", "Report", "Section", "Table"]

Cell = str | int | float | None
"""One table cell: text, a whole number, a number, or empty."""

ColumnFormat = Literal["text", "count", "money", "share", "number", "date"]
"""How a table column is shown: ``count`` 1,234; ``money`` 1,234.50; ``share`` 12.3 %."""

_FORMATS = ("text", "count", "money", "share", "number", "date")


def _check_table(inst: Table, _attribute: attrs.Attribute[object], _value: object) -> None:
    width = len(inst.columns)
    if len(inst.formats) != width:
        msg = f"Table {inst.title!r} has {width} columns but {len(inst.formats)} formats."
        raise InputError(msg, field="formats")
    bad = [f for f in inst.formats if f not in _FORMATS]
    if bad:
        msg = f"Table {inst.title!r} has unknown formats {bad}; valid: {list(_FORMATS)}."
        raise InputError(msg, field="formats")
    for i, row in enumerate(inst.rows):
        if len(row) != width:
            msg = f"Row {i} of table {inst.title!r} has {len(row)} cells, not {width}."
            raise InputError(msg, field="rows", positions=[i])


def _plain_cell(value: object) -> Cell:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, np.datetime64):
        return None if np.isnat(value) else str(value.astype("datetime64[D]"))
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        number = float(value)
        return number if np.isfinite(number) else None
    return str(value)


def _rows(rows: Iterable[Sequence[object]]) -> tuple[tuple[Cell, ...], ...]:
    return tuple(tuple(_plain_cell(v) for v in row) for row in rows)


def _texts(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(str(v) for v in values)


def _formats(values: Iterable[str]) -> tuple[ColumnFormat, ...]:
    return cast("tuple[ColumnFormat, ...]", tuple(values))


def _tables(values: Iterable[Table]) -> tuple[Table, ...]:
    return tuple(values)


def _charts(values: Iterable[Chart]) -> tuple[Chart, ...]:
    return tuple(values)


def _sections(values: Iterable[Section]) -> tuple[Section, ...]:
    return tuple(values)


@attrs.frozen(kw_only=True)
class Table:
    """A small table of a report section, already cut to the rows worth reading.

    Attributes
    ----------
    title : str
        What the table shows.
    columns : tuple of str
        Column headings.
    formats : tuple of ColumnFormat
        How each column is shown (one per column).
    rows : tuple of tuple of Cell
        The cells, row by row; numpy values become plain Python values.
    function : str
        The crmkit function whose result the rows come from.

    Examples
    --------
    >>> t = Table(
    ...     title="Segments",
    ...     columns=("segment", "customers"),
    ...     formats=("text", "count"),
    ...     rows=[("champions", 12)],
    ...     function="crmkit.segmentation.segment_summary",
    ... )
    >>> t.rows
    (('champions', 12),)
    """

    title: str
    columns: tuple[str, ...] = attrs.field(converter=_texts)
    formats: tuple[ColumnFormat, ...] = attrs.field(converter=_formats, validator=_check_table)
    rows: tuple[tuple[Cell, ...], ...] = attrs.field(converter=_rows)
    function: str


@attrs.frozen(kw_only=True)
class Chart:
    """One chart slot of a section: drawn as SVG, or the reason it is not.

    Attributes
    ----------
    name : str
        The :mod:`crmkit.plot` function that draws it, e.g. ``"lorenz_chart"``.
    title : str
        What the chart shows.
    svg : str or None
        The drawn chart as SVG markup (embedded in the HTML as a data URI,
        no network needed), or None when it was not drawn.
    missing : str or None
        Why it was not drawn (e.g. the ``plot`` extra is not installed);
        None when drawn.

    Examples
    --------
    >>> Chart(name="lorenz_chart", title="Lorenz curve", svg=None, missing="charts off").drawn
    False
    """

    name: str
    title: str
    svg: str | None
    missing: str | None

    @property
    def drawn(self) -> bool:
        """Whether the chart was drawn."""
        return self.svg is not None


@attrs.frozen(kw_only=True)
class Section:
    """One of the seven views of customer analysis, with its numbers in words.

    Attributes
    ----------
    key : str
        Short name: ``profiling``, ``persistency``, ``profitability``,
        ``performance``, ``prospecting``, ``product`` or ``promotion``.
    title : str
        Heading, e.g. ``"Profiling"``.
    question : str
        The question the section answers.
    headlines : tuple of str
        The findings as sentences, numbers included.
    tables : tuple of Table
        Small tables backing the headlines.
    charts : tuple of Chart
        The chart slots of the section.
    functions : tuple of str
        Every crmkit function that produced the section's numbers.
    notes : tuple of str
        Caveats in words (rows left out, a fit to read with care, ...).
    docs : str
        The documentation page that explains the section's analyses.

    Examples
    --------
    >>> s = Section(
    ...     key="profiling",
    ...     title="Profiling",
    ...     question="Who are the customers?",
    ...     headlines=["The top 20 % of customers bring 66 % of revenue."],
    ...     tables=[],
    ...     charts=[],
    ...     functions=["crmkit.segmentation.top_share"],
    ...     notes=[],
    ...     docs="segmentation",
    ... )
    >>> s.headlines[0]
    'The top 20 % of customers bring 66 % of revenue.'
    """

    key: str
    title: str
    question: str
    headlines: tuple[str, ...] = attrs.field(converter=_texts)
    tables: tuple[Table, ...] = attrs.field(converter=_tables)
    charts: tuple[Chart, ...] = attrs.field(converter=_charts)
    functions: tuple[str, ...] = attrs.field(converter=_texts)
    notes: tuple[str, ...] = attrs.field(converter=_texts)
    docs: str


@attrs.frozen(kw_only=True, repr=False)
class Report(Result):
    """The 7P customer-analysis report: the computed sections and what was left out.

    Build it with :func:`crmkit.report.build`; write it with :meth:`write`
    (one self-contained HTML page, or JSON), or take :meth:`to_html`,
    :meth:`to_json` and :meth:`to_dict` as they are.

    Attributes
    ----------
    title : str
        The page title.
    as_of : numpy.datetime64
        End of observation of the transactions (exclusive).
    as_of_is_default : bool
        Whether *as_of* is the default (midnight after the last purchase).
    inputs : mapping of str to str
        What each input was, in words (rows, customers, window).
    sections : tuple of Section
        The computed sections, in the order of the seven views.
    not_computed : mapping of str to str
        Section title -> what to give to add it.
    crmkit_version : str
        The crmkit version that computed the report.

    Examples
    --------
    >>> from crmkit.datasets import simulate_transactions
    >>> from crmkit.report import build
    >>> report = build(simulate_transactions(300, "2024-01-01", "2025-01-01", seed=1), charts=False)
    >>> [s.key for s in report.sections][:2]
    ['profiling', 'persistency']
    >>> report.to_html().startswith("<!doctype html>")
    True
    """

    _table: ClassVar[tuple[str, ...]] = ()

    title: str
    as_of: np.datetime64
    as_of_is_default: bool
    inputs: Mapping[str, str] = attrs.field(converter=frozen_mapping)
    sections: tuple[Section, ...] = attrs.field(converter=_sections)
    not_computed: Mapping[str, str] = attrs.field(converter=frozen_mapping)
    crmkit_version: str

    def section(self, key: str) -> Section:
        """Return the section named *key* (``"profiling"``, ...).

        Parameters
        ----------
        key : str
            The section's short name.

        Returns
        -------
        Section

        Raises
        ------
        KeyError
            If the section was not computed; :attr:`not_computed` says why.
        """
        for section in self.sections:
            if section.key == key:
                return section
        raise KeyError(key)

    def to_json(self, *, indent: int | None = 2) -> str:
        """Return the report as JSON text (the same content as the HTML page).

        Parameters
        ----------
        indent : int or None
            Indentation of the JSON text; None for one line.

        Returns
        -------
        str
            Charts appear as their SVG text.
        """
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)

    def to_html(self) -> str:
        """Return the report as one self-contained HTML page.

        Returns
        -------
        str
            No scripts, no external resources (a Content-Security-Policy
            forbids them): it opens from disk with no network.
        """
        from crmkit.report._html import render  # noqa: PLC0415

        return render(self)

    def write(self, path: str | Path) -> Path:
        """Write the report to *path*: JSON for a ``.json`` name, HTML otherwise.

        Parameters
        ----------
        path : str or pathlib.Path
            Where to write; the folder must exist.

        Returns
        -------
        pathlib.Path
            The path written.
        """
        target = Path(path)
        text = self.to_json() if target.suffix.lower() == ".json" else self.to_html()
        target.write_text(text, encoding="utf-8")
        return target

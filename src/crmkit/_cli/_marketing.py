"""From the user's marketing files to crmkit's inputs: campaigns, leads, touches, the plan.

Dates are read with the shared boundary (:func:`crmkit._dates.as_datetime`, which
takes ``--date-format``), every other check is the library's own; errors come back
as one line naming the file, the column and the file lines.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt

from crmkit._cli._files import CommandError, InputFile, read_file, reading
from crmkit._cli._output import Terminal
from crmkit._cli._readers import say_guessed
from crmkit._frames import read_columns
from crmkit._input import as_datetime, as_ids, null_cells

__all__ = [
    "HOLDOUT",
    "Marketing",
    "read_business_case",
    "read_campaigns",
    "read_conversions",
    "read_leads",
    "read_touchpoints",
]

HOLDOUT = ("population", "control", "responders", "control_responders")
"""The hold-out columns of a campaigns file: selected, held out, and the responders of each."""


@attrs.frozen
class Marketing:
    """A marketing file read: its columns as arrays (dates parsed), and where they came from."""

    columns: dict[str, npt.NDArray[Any]]
    file: InputFile
    found: dict[str, str]


def _read(
    path: str,
    term: Terminal,
    *,
    what: str,
    fields: Mapping[str, str | None],
    dates: Sequence[str],
    ids: Sequence[str],
    date_format: str | None,
    delimiter: str | None,
    function: str,
    flags: Mapping[str, str] | None = None,
) -> Marketing:
    with term.progress(f"reading {path}"):
        file, found = read_file(
            path,
            what=what,
            delimiter=delimiter,
            fields=fields,
            text_fields=[*dates, *ids],
            id_fields=ids,
            flags=flags,
        )
        say_guessed(term, file, fields, found, flags=flags)
        with reading(file, found, flags=flags):
            columns = read_columns(file.table, found, function=function)
            for field in ids:  # checked here, so that a bad id names this file
                if field in columns:
                    columns[field] = as_ids(
                        columns[field], field=field, function=function, column=found[field]
                    )
            for field in dates:
                if field in columns:
                    columns[field] = as_datetime(
                        columns[field],
                        field=field,
                        function=function,
                        date_format=date_format,
                        column=found[field],
                    ).values
    return Marketing(columns=columns, file=file, found=found)


def read_campaigns(
    path: str,
    term: Terminal,
    *,
    columns: Mapping[str, str | None],
    by: Sequence[str],
    date_format: str | None,
    delimiter: str | None,
    optional: Sequence[str] = (),
    flags: Mapping[str, str] | None = None,
) -> tuple[Any, dict[str, npt.NDArray[Any]] | None, Marketing]:
    """Read a campaigns file: Campaigns (with the *by* dimensions) and its hold-out tests.

    The *optional* dimensions are kept when the file has them. The hold-out
    columns are optional too; when the file has them, every row with all
    four filled is a test (the others had no hold-out group). *flags* name
    the options that set the columns (none: the columns must have their names).
    """
    from crmkit.roi import Campaigns  # noqa: PLC0415

    fields: dict[str, str | None] = {
        **columns,
        **dict.fromkeys(HOLDOUT, ""),
        **dict.fromkeys([*by, *optional], ""),
    }
    read = _read(
        path,
        term,
        what="campaign",
        fields=fields,
        dates=["start", "end"],
        ids=["campaign", *by, *optional],
        date_format=date_format,
        delimiter=delimiter,
        function="Campaigns.from_arrays",
        flags=flags if flags is not None else {},
    )
    cols, file = read.columns, read.file
    missing = [d for d in by if d not in cols]
    if missing:
        raise CommandError(
            f"{file.label}: no column {missing[0]!r} (--by); the columns are "
            f"{', '.join(file.columns)}"
        )
    with reading(file, read.found, flags=flags if flags is not None else {}):
        campaigns = Campaigns.from_arrays(
            campaign=cols["campaign"],
            budget=cols["budget"],
            spend=cols["spend"],
            start=cols.get("start"),
            end=cols.get("end"),
            dimensions={d: cols[d] for d in (*by, *optional) if d in cols},
        )
    given = [f for f in HOLDOUT if f in cols]
    if not given:
        return campaigns, None, read
    if len(given) < len(HOLDOUT):
        absent = [f for f in HOLDOUT if f not in cols]
        raise CommandError(
            f"{file.label}: the hold-out columns need all of {', '.join(HOLDOUT)}; "
            f"{', '.join(absent)} not found"
        )
    empty = np.vstack([null_cells(cols[f], field=f, function="lift_test") for f in HOLDOUT])
    partly = np.flatnonzero(empty.any(axis=0) & ~empty.all(axis=0))
    if partly.size:
        raise CommandError(
            f"{file.label}: the hold-out columns must be all filled or all empty on a row: "
            f"{file.where(partly[:5].tolist())}"
        )
    tested = ~empty.any(axis=0)
    holdout = {"campaign": np.asarray(campaigns.campaign)[tested]}
    holdout |= {f: np.asarray(cols[f])[tested] for f in HOLDOUT}
    return campaigns, holdout, read


def read_leads(
    path: str,
    term: Terminal,
    *,
    column: str | None,
    delimiter: str | None,
    flags: Mapping[str, str] | None = None,
) -> Any:  # noqa: ANN401  (the campaign column and the file read)
    """Read a leads file: the campaign of each lead (*flags* as for :func:`read_campaigns`)."""
    read = _read(
        path,
        term,
        what="lead",
        fields={"campaign": column},
        dates=[],
        ids=["campaign"],
        date_format=None,
        delimiter=delimiter,
        function="campaign_results",
        flags=flags if flags is not None else {},
    )
    return read.columns["campaign"], read


def read_touchpoints(
    path: str,
    term: Terminal,
    *,
    columns: Mapping[str, str | None],
    flags: Mapping[str, str],
    date_format: str | None,
    delimiter: str | None,
) -> Marketing:
    """Read a touchpoints file: one row per touch (customer, timestamp, and its label).

    *columns* maps ``customer``, ``timestamp`` and the label field (``channel``,
    or ``campaign`` to attribute by campaign) to the user's columns.
    """
    label = next(f for f in columns if f not in ("customer", "timestamp"))
    return _read(
        path,
        term,
        what="touchpoint",
        fields=columns,
        dates=["timestamp"],
        ids=["customer", label],
        date_format=date_format,
        delimiter=delimiter,
        function="touchpoint_paths",
        flags=flags,
    )


def read_conversions(
    path: str,
    term: Terminal,
    *,
    date_format: str | None,
    delimiter: str | None,
    columns: Mapping[str, str | None] | None = None,
    flags: Mapping[str, str] | None = None,
) -> Marketing:
    """Read a conversions file: customer, timestamp, value (and the lead and deal dates).

    *columns* maps ``customer``, ``timestamp`` and ``value`` to the user's
    columns (None: guess), *flags* names their options (as for :func:`read_campaigns`).
    """
    given = dict(columns or {})
    read = _read(
        path,
        term,
        what="conversion",
        fields={
            "customer": given.get("customer"),
            "timestamp": given.get("timestamp"),
            "value": given.get("value"),
            "lead_created": "",
            "opportunity_created": "",
        },
        dates=["timestamp", "lead_created", "opportunity_created"],
        ids=["customer"],
        date_format=date_format,
        delimiter=delimiter,
        function="touchpoint_paths",
        flags=flags if flags is not None else {},
    )
    if ("lead_created" in read.columns) != ("opportunity_created" in read.columns):
        raise CommandError(
            f"{read.file.label}: give both milestone columns lead_created and "
            "opportunity_created, or neither"
        )
    return read


def read_business_case(
    path: str,
    term: Terminal,
    *,
    periods: int,
    discount_rate: float,
    first_period: int,
    period_unit: str,
    start: str | None,
    delimiter: str | None,
) -> Any:  # noqa: ANN401  (a BusinessCase)
    """Read a business-case file: one row per cost item or benefit stream."""
    from crmkit.roi import BusinessCase  # noqa: PLC0415
    from crmkit.roi._business_case._table import LAYOUT  # noqa: PLC0415

    fields = {"item": None, "kind": None} | {f: "" for f in LAYOUT if f not in ("item", "kind")}
    with term.progress(f"reading {path}"):
        file, found = read_file(
            path,
            what="business-case",
            delimiter=delimiter,
            fields=fields,
            text_fields=["item", "kind", "category", "ramp_up"],
            flags={},  # the layout's columns have no options: they are named as documented
        )
        with reading(file, found, flags={}):
            return BusinessCase.from_frame(
                file.table,
                periods=periods,
                discount_rate=discount_rate,
                first_period=first_period,  # type: ignore[arg-type]  # checked by BusinessCase
                period_unit=period_unit,  # type: ignore[arg-type]  # checked by BusinessCase
                start=start,
                columns={f: c for f, c in found.items() if c != f},
            )

"""A business case read from a table: one row per cost item or benefit stream."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import numpy.typing as npt

from crmkit._frames import is_frame
from crmkit._input import as_ids, as_optional_float, null_cells
from crmkit._tables import column_names, read_mapped
from crmkit.errors import InputError

if TYPE_CHECKING:
    from crmkit.roi._business_case._plan import BusinessCase

__all__ = ["LAYOUT", "case_from_frame"]

_FN: Final = "BusinessCase.from_frame"

LAYOUT: Final = (
    "item",
    "kind",
    "category",
    "one_off",
    "recurring",
    "escalation",
    "value",
    "ramp_up",
    "from_period",
    "growth",
)
"""The columns of a business-case table, in order; only ``item`` and ``kind`` are required."""

_COST_ONLY: Final = ("category", "one_off", "recurring", "escalation")
_BENEFIT_ONLY: Final = ("value", "ramp_up", "growth")
_KINDS: Final = ("cost", "revenue growth", "cost reduction", "retention")
_SPLIT: Final = re.compile(r"[\s;|/]+")


def _refuse(
    field: str,
    requirement: str,
    bad: npt.NDArray[np.bool_],
    values: Any,  # noqa: ANN401  (the column's cells, any dtype)
    *,
    items: npt.NDArray[np.str_] | None = None,
    column: str | None = None,
) -> None:
    """Raise the rows error for the *bad* rows, showing their cells and naming their items."""
    if bad.any():
        rows = np.flatnonzero(bad)
        hint = None
        if items is not None:
            names = ", ".join(repr(str(items[i])) for i in rows[:5])
            where = "The items on these rows" if rows.size > 1 else "The item on that row"
            hint = f"{where}: {names}."
        raise InputError.for_rows(
            field,
            requirement,
            positions=rows[:5].tolist(),
            values=[values[i] for i in rows[:5]],
            n_bad=int(rows.size),
            function=_FN,
            hint=hint,
            column=column if column != field else None,
        )


def _column_names(frame: object) -> set[str]:
    """Return the columns of *frame*; none when it is not a table (``read_mapped`` says so)."""
    if isinstance(frame, Mapping):
        return {str(c) for c in frame}
    return set(column_names(frame)) if is_frame(frame) else set()


def _texts(column: npt.NDArray[Any], field: str) -> npt.NDArray[np.str_]:
    empty = null_cells(column, field=field, function=_FN)
    out = np.array(["" if e else str(v).strip() for v, e in zip(column, empty, strict=True)])
    return out.astype(str)


def _ramp(
    column: npt.NDArray[Any] | None, n: int, *, name: str, items: npt.NDArray[np.str_]
) -> list[tuple[float, ...]]:
    """Each row's ramp-up: shares separated by spaces (``"0.2 0.5 0.8"``), or one number."""
    if column is None:
        return [()] * n
    empty = null_cells(column, field="ramp_up", function=_FN)
    ramps: list[tuple[float, ...]] = []
    bad = np.zeros(n, dtype=bool)
    for i, (value, missing) in enumerate(zip(column, empty, strict=True)):
        if missing:
            ramps.append(())
            continue
        try:
            parts = tuple(float(p) for p in _SPLIT.split(str(value).strip()) if p)
        except ValueError:
            parts = (np.nan,)
        bad[i] = not all(0.0 <= p <= 1.0 for p in parts)
        ramps.append(parts)
    _refuse(
        "ramp_up",
        "must hold shares in [0, 1] separated by spaces (e.g. '0.2 0.5 0.8')",
        bad,
        column,
        items=items,
        column=name,
    )
    return ramps


def case_from_frame(
    frame: object,
    *,
    periods: int,
    discount_rate: float,
    first_period: int,
    period_unit: str,
    start: object | None,
    columns: Mapping[str, str] | None,
) -> BusinessCase:
    """Validate a business-case table and build its :class:`BusinessCase` (``from_frame``)."""
    from crmkit.roi._business_case._plan import (  # noqa: PLC0415  (the plan imports this module)
        BenefitStream,
        BusinessCase,
        CostItem,
    )

    names = dict(columns or {})
    unknown = sorted(set(names) - set(LAYOUT))
    if unknown:
        raise InputError.for_parameter(
            "columns", f"a mapping from the layout's columns {list(LAYOUT)}", unknown, function=_FN
        )
    mapped = {field: names.get(field, field) for field in LAYOUT}
    # item, kind and every column the caller named are required; the others are read if present
    required = {"item", "kind", *names}
    present = _column_names(frame)
    wanted = {f: c for f, c in mapped.items() if f in required or c in present}
    cols = read_mapped(frame, wanted, field="frame", function=_FN)
    item = as_ids(cols["item"], field="item", function=_FN).astype(str)
    n = item.size
    if n == 0:
        raise InputError("The table given to BusinessCase.from_frame has no rows.", field="frame")
    kind = np.char.lower(_texts(cols["kind"], "kind"))
    _refuse(
        "kind",
        f"must be one of {list(_KINDS)}",
        ~np.isin(kind, _KINDS),
        cols["kind"],
        items=item,
        column=mapped["kind"],
    )
    cost = kind == "cost"
    numbers: dict[str, tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_]]] = {}
    bounds = {  # field -> (minimum, whether the minimum itself is refused)
        "one_off": (0.0, False),
        "recurring": (0.0, False),
        "value": (0.0, False),
        "escalation": (-1.0, True),
        "growth": (-1.0, True),
        "from_period": (0.0, False),
    }
    for field, (low, strict) in bounds.items():
        if field in cols:
            numbers[field] = as_optional_float(
                cols[field],
                field=field,
                function=_FN,
                column=mapped[field],
                minimum=low,
                strict_minimum=strict,
            )
        else:
            numbers[field] = (np.full(n, np.nan), np.ones(n, dtype=bool))
    category = _texts(cols["category"], "category") if "category" in cols else np.full(n, "")
    ramp_column = cols.get("ramp_up")

    def cells(field: str) -> npt.NDArray[Any]:
        return cols[field] if field in cols else np.full(n, None, dtype=object)

    def refuse(field: str, requirement: str, bad: npt.NDArray[np.bool_]) -> None:
        _refuse(field, requirement, bad, cells(field), items=item, column=mapped[field])

    for field in _COST_ONLY:
        given = category != "" if field == "category" else ~numbers[field][1]
        refuse(field, "must be empty on a benefit row (it is a cost's column)", given & ~cost)
    for field in _BENEFIT_ONLY:
        if field == "ramp_up":
            given = (
                ~null_cells(ramp_column, field=field, function=_FN)
                if ramp_column is not None
                else np.zeros(n, dtype=bool)
            )
        else:
            given = ~numbers[field][1]
        refuse(field, "must be empty on a cost row (it is a benefit's column)", given & cost)
    refuse("category", "must be given on every cost row", cost & (category == ""))
    categories = ("technology", "people", "process")
    wrong = cost & (category != "") & ~np.isin(category, categories)
    refuse("category", f"must be one of {list(categories)} on a cost row", wrong)
    _, first_of, counts = np.unique(item, return_index=True, return_counts=True)
    repeated = np.zeros(n, dtype=bool)
    repeated[np.isin(item, item[first_of[counts > 1]])] = True
    _refuse(
        "item",
        "must be unique (names label the assumptions)",
        repeated,
        item,
        column=mapped["item"],
    )
    refuse("value", "must be given on every benefit row", ~cost & numbers["value"][1])
    start_at, no_start = numbers["from_period"]
    refuse(
        "from_period",
        "must be a whole number of periods",
        ~no_start & (start_at != np.floor(np.nan_to_num(start_at))),
    )
    ramps = _ramp(ramp_column, n, name=mapped["ramp_up"], items=item)

    def filled(field: str, default: float) -> list[float]:
        values, empty = numbers[field]
        out: list[float] = np.where(empty, default, values).tolist()
        return out

    one_off, recurring = filled("one_off", 0.0), filled("recurring", 0.0)
    escalation, value, growth = (
        filled("escalation", 0.0),
        filled("value", 0.0),
        filled("growth", 0.0),
    )
    begin = [int(v) for v in filled("from_period", 1.0)]
    costs = [
        CostItem(
            name=str(item[i]),
            category=category[i],
            one_off=one_off[i],
            recurring=recurring[i],
            recurring_from=begin[i],
            escalation=escalation[i],
        )
        for i in np.flatnonzero(cost).tolist()
    ]
    benefits = [
        BenefitStream(
            name=str(item[i]),
            kind=kind[i],
            value=value[i],
            ramp_up=ramps[i],
            start=begin[i],
            growth=growth[i],
        )
        for i in np.flatnonzero(~cost).tolist()
    ]
    return BusinessCase(
        costs=costs,
        benefits=benefits,
        periods=periods,
        discount_rate=discount_rate,
        first_period=first_period,  # type: ignore[arg-type]  # checked by BusinessCase
        period_unit=period_unit,  # type: ignore[arg-type]  # checked by BusinessCase
        start=start,
    )

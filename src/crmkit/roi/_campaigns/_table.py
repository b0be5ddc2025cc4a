"""The ``Campaigns`` value: validated campaigns with their budget, spend, dates and dimensions."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

import attrs
import numpy as np
import numpy.typing as npt

from crmkit._groups import factorize
from crmkit._input import (
    DATETIME_DTYPE,
    as_datetime,
    as_finite_float,
    as_ids,
    as_readonly,
    check_same_length,
)
from crmkit._reduce import bincount
from crmkit._results import frozen_mapping, json_safe
from crmkit._tables import read_mapped
from crmkit.errors import InputError

__all__ = ["Campaigns"]

_FN: Final = "Campaigns"
_CORE: Final = frozenset({"campaign", "budget", "spend", "start", "end"})
FloatArray = npt.NDArray[np.float64]


@attrs.frozen(kw_only=True, repr=False)
class Campaigns:
    """Validated marketing campaigns: what each was allowed, what it spent, when and where.

    Build with :meth:`from_arrays` or :meth:`from_frame`; both validate every
    column once.

    Attributes
    ----------
    campaign : ndarray of int64 or str, shape (k,)
        Campaign ids, unique.
    budget : ndarray of float64, shape (k,)
        Planned spend (money, >= 0).
    spend : ndarray of float64, shape (k,)
        Actual spend (money, >= 0).
    start, end : ndarray of datetime64[us], shape (k,)
        When each campaign ran (NaT when not given); ``start`` is where the
        payback clock starts.
    dimensions : mapping of str to ndarray, shape (k,) each
        Grouping columns such as channel, region, product line.

    Examples
    --------
    >>> c = Campaigns.from_arrays(
    ...     campaign=["spring-mail", "trade-fair"],
    ...     budget=[5_000.0, 40_000.0],
    ...     spend=[4_800.0, 43_500.0],
    ...     dimensions={"channel": ["email", "event"]},
    ... )
    >>> c.n_campaigns, float(c.spend.sum())
    (2, 48300.0)
    """

    campaign: npt.NDArray[Any]
    budget: FloatArray
    spend: FloatArray
    start: npt.NDArray[np.datetime64]
    end: npt.NDArray[np.datetime64]
    dimensions: Mapping[str, npt.NDArray[Any]] = attrs.field(converter=frozen_mapping)

    @classmethod
    def from_arrays(
        cls,
        *,
        campaign: object,
        budget: object,
        spend: object,
        start: object | None = None,
        end: object | None = None,
        dimensions: Mapping[str, object] | None = None,
    ) -> Campaigns:
        """Validate campaign columns given as arrays or sequences.

        Parameters
        ----------
        campaign : array_like, shape (k,)
            Campaign ids (ints or strings), unique.
        budget, spend : array_like of float, shape (k,)
            Planned and actual spend, finite and >= 0.
        start, end : array_like of date-like, shape (k,), optional
            Run dates; ``end`` on or after ``start``.
        dimensions : mapping of str to array_like, optional
            Grouping columns (channel, region, product line, ...), no nulls.

        Returns
        -------
        Campaigns

        Raises
        ------
        InputError
            For duplicate ids, negative or non-finite amounts (the rows are
            named), unparseable dates, an end before its start, null dimension
            values, a dimension named like a core column, or columns of
            different lengths.

        Examples
        --------
        >>> Campaigns.from_arrays(campaign=["a"], budget=[100.0], spend=[-5.0])
        Traceback (most recent call last):
        ...
        crmkit.errors.InputError: The 'spend' column of Campaigns must be >= 0: 1 bad row, ...
        """
        ids = as_ids(campaign, field="campaign", function=_FN)
        plan = as_finite_float(budget, field="budget", function=_FN, minimum=0.0)
        actual = as_finite_float(spend, field="spend", function=_FN, minimum=0.0)
        n = ids.size
        nat = np.full(n, np.datetime64("NaT", "us"), dtype=DATETIME_DTYPE)
        begin = nat if start is None else as_datetime(start, field="start", function=_FN).values
        finish = nat if end is None else as_datetime(end, field="end", function=_FN).values
        lengths = {
            "campaign": n,
            "budget": plan.size,
            "spend": actual.size,
            "start": begin.size,
            "end": finish.size,
        }
        dims: dict[str, npt.NDArray[Any]] = {}
        for name, column in (dimensions or {}).items():
            if name in _CORE:
                raise InputError.for_parameter(
                    "dimensions", "named differently from the core columns", name, function=_FN
                )
            dims[name] = as_readonly(as_ids(column, field=name, function=_FN))
            lengths[name] = dims[name].size
        check_same_length(lengths, function=_FN)
        if start is not None and end is not None:
            backwards = np.flatnonzero(finish < begin)
            if backwards.size:
                raise InputError.for_rows(
                    "end",
                    "must not be before the campaign's start",
                    positions=backwards[:5].tolist(),
                    values=[str(finish[p]) for p in backwards[:5]],
                    n_bad=int(backwards.size),
                    function=_FN,
                )
        groups = factorize(ids)
        if groups.n_groups != n:
            counts = bincount(groups.codes, minlength=groups.n_groups)
            dup = np.flatnonzero(counts[groups.codes] > 1)
            raise InputError.for_rows(
                "campaign",
                "must be unique",
                positions=dup[:5].tolist(),
                values=[ids[p] for p in dup[:5]],
                n_bad=int(dup.size),
                function=_FN,
                hint="One row per campaign: sum the spend of split rows first.",
            )
        return cls(
            campaign=as_readonly(ids),
            budget=as_readonly(plan),
            spend=as_readonly(actual),
            start=as_readonly(begin.astype(DATETIME_DTYPE)),
            end=as_readonly(finish.astype(DATETIME_DTYPE)),
            dimensions=dims,
        )

    @classmethod
    def from_frame(
        cls,
        frame: object,
        *,
        campaign: str = "campaign",
        budget: str = "budget",
        spend: str = "spend",
        start: str | None = None,
        end: str | None = None,
        dimensions: Sequence[str] | Mapping[str, str] = (),
    ) -> Campaigns:
        """Validate the mapped columns of any DataFrame narwhals supports (or a dict of columns).

        Parameters
        ----------
        frame : DataFrame-like or mapping of str to array_like
            pandas, polars, pyarrow, DuckDB, Dask, ... or a dict of columns.
        campaign, budget, spend : str
            Column names of the core fields.
        start, end : str, optional
            Column names of the run dates.
        dimensions : sequence of str or mapping of str to str
            Dimension columns; a mapping renames them (crmkit name -> column).

        Returns
        -------
        Campaigns

        Raises
        ------
        InputError
            As :meth:`from_arrays`, and for a mapped column the frame lacks.

        Examples
        --------
        >>> import pandas as pd
        >>> df = pd.DataFrame(
        ...     {
        ...         "id": ["c1", "c2"],
        ...         "budget": [10.0, 20.0],
        ...         "cost": [9.0, 25.0],
        ...         "channel": ["a", "b"],
        ...     }
        ... )
        >>> Campaigns.from_frame(
        ...     df, campaign="id", spend="cost", dimensions=["channel"]
        ... ).n_campaigns
        2
        """
        dim_map = (
            dict(dimensions) if isinstance(dimensions, Mapping) else {d: d for d in dimensions}
        )
        mapping = {"campaign": campaign, "budget": budget, "spend": spend}
        mapping |= {f: c for f, c in (("start", start), ("end", end)) if c is not None}
        mapping |= {f"dim:{k}": v for k, v in dim_map.items()}
        cols = read_mapped(frame, mapping, field="frame", function=_FN)
        return cls.from_arrays(
            campaign=cols["campaign"],
            budget=cols["budget"],
            spend=cols["spend"],
            start=cols.get("start"),
            end=cols.get("end"),
            dimensions={k: cols[f"dim:{k}"] for k in dim_map},
        )

    @property
    def n_campaigns(self) -> int:
        """Number of campaigns."""
        return int(self.campaign.size)

    def to_dict(self) -> dict[str, object]:
        """Return the columns as JSON-safe lists.

        Returns
        -------
        dict

        Examples
        --------
        >>> Campaigns.from_arrays(campaign=[1], budget=[2.0], spend=[3.0]).to_dict()["spend"]
        [3.0]
        """
        cols: dict[str, object] = {
            "campaign": self.campaign,
            "budget": self.budget,
            "spend": self.spend,
            "start": self.start,
            "end": self.end,
        }
        cols |= dict(self.dimensions)
        return {k: json_safe(v) for k, v in cols.items()}

    def __repr__(self) -> str:
        return (
            f"Campaigns(campaigns={self.n_campaigns}, spend={float(self.spend.sum()):,.2f}, "
            f"dimensions={list(self.dimensions)})"
        )

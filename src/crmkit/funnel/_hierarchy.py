"""The sales hierarchy (rep -> team -> region -> country, any depth) as a validated value."""

from __future__ import annotations

from typing import Any, Final

import attrs
import numpy as np
import numpy.typing as npt

from crmkit._input import as_ids, as_optional_ids, as_readonly, check_same_length, to_array
from crmkit._params import instance
from crmkit._tables import read_table
from crmkit.errors import InputError
from crmkit.funnel._opportunities import is_missing

__all__ = ["Hierarchy"]

IntArray = npt.NDArray[np.int64]
_FN: Final = "Hierarchy"


def _is_root(value: object) -> bool:
    return is_missing(value) or (isinstance(value, str) and not value.strip())


@attrs.frozen(kw_only=True, repr=False)
class Hierarchy:
    """A forest of sales nodes: each node has at most one parent, no cycles.

    Attributes
    ----------
    node : ndarray, shape (h,)
        Node ids (reps, teams, regions, ...), ascending.
    parent : ndarray of int64, shape (h,)
        Index of each node's parent in ``node`` (-1 for a root).
    depth : ndarray of int64, shape (h,)
        Distance to the root (roots 0).
    level : ndarray of str, shape (h,)
        Level name of each node (given, or ``"level <depth>"``).
    ancestors : ndarray of int64, shape (h, d + 1)
        ``ancestors[i, j]`` is the index of node *i*'s ancestor *j* steps up
        (``j = 0``: the node itself; -1 past the root).

    Examples
    --------
    >>> h = Hierarchy.from_arrays(
    ...     node=["china", "north", "south", "beijing", "shanghai"],
    ...     parent=[None, "china", "china", "north", "south"],
    ...     level=["country", "region", "region", "dealer", "dealer"],
    ... )
    >>> h.node.tolist(), h.depth.tolist()
    (['beijing', 'china', 'north', 'shanghai', 'south'], [2, 0, 1, 2, 1])
    >>> h.is_ancestor("china", "beijing"), h.is_ancestor("south", "beijing")
    (True, False)
    """

    node: npt.NDArray[Any]
    parent: IntArray
    depth: IntArray
    level: npt.NDArray[np.str_]
    ancestors: IntArray

    @classmethod
    def from_arrays(cls, *, node: object, parent: object, level: object | None = None) -> Hierarchy:
        """Validate a node -> parent table.

        Parameters
        ----------
        node : array_like, shape (h,)
            Every node once (ints or strings).
        parent : array_like, shape (h,)
            Its parent, a node of the table; None, NaN or "" for a root.
        level : array_like of str, shape (h,), optional
            Level names such as ``"rep"``, ``"team"``, ``"region"``.

        Returns
        -------
        Hierarchy

        Raises
        ------
        InputError
            For a node listed twice (with one or several parents), a parent
            that is not a node, a cycle, or columns of different lengths; the
            rows are named.

        Examples
        --------
        >>> Hierarchy.from_arrays(node=["a", "b"], parent=["b", "a"])
        Traceback (most recent call last):
        ...
        crmkit.errors.InputError: The 'parent' column of Hierarchy must not form a cycle: ...
        """
        nodes = as_ids(node, field="node", function=_FN)
        raw = to_array(parent)
        lengths = {"node": nodes.size, "parent": raw.size}
        if level is not None:
            levels_in = to_array(level)
            lengths["level"] = levels_in.size
        check_same_length(lengths, function=_FN)
        root = np.fromiter((_is_root(v) for v in raw.tolist()), dtype=bool, count=raw.size)
        order = np.argsort(nodes, kind="stable")
        sorted_nodes = nodes[order]
        dup = np.zeros(nodes.size, dtype=bool)
        if nodes.size > 1:
            same = sorted_nodes[1:] == sorted_nodes[:-1]
            dup[order[1:][same]] = True
            dup[order[:-1][same]] = True
        parent_idx = np.full(nodes.size, -1, dtype=np.int64)
        if (~root).any():  # positions of a bad parent are those of the whole column
            ids, root = as_optional_ids(raw, field="parent", function=_FN)
            given = ids[~root]
            if nodes.size and given.dtype.kind != nodes.dtype.kind:
                given = given.astype(str)
                keys = sorted_nodes.astype(str)
            else:
                keys = sorted_nodes
            idx = np.clip(np.searchsorted(keys, given), 0, nodes.size - 1)
            known = keys[idx] == given
            if not known.all():
                pos = np.flatnonzero(~root)[~known]
                raise InputError.for_rows(
                    "parent",
                    "must name a node of the hierarchy (or be empty for a root)",
                    positions=pos[:5].tolist(),
                    values=[raw[p] for p in pos[:5]],
                    n_bad=int(pos.size),
                    function=_FN,
                    hint="Add the missing parents as nodes (with their own parent).",
                )
            parent_idx[~root] = order[idx]
        if dup.any():
            pos = np.flatnonzero(dup)
            sorted_parent = parent_idx[order]
            same = sorted_nodes[1:] == sorted_nodes[:-1]
            several = bool((same & (sorted_parent[1:] != sorted_parent[:-1])).any())
            raise InputError.for_rows(
                "node",
                "must list each node once" + (" (a node has several parents)" if several else ""),
                positions=pos[:5].tolist(),
                values=[nodes[p] for p in pos[:5]],
                n_bad=int(pos.size),
                function=_FN,
                hint="A node belongs to exactly one parent; move it or give it another id.",
            )
        # re-index on the sorted nodes
        rank = np.empty(nodes.size, dtype=np.int64)
        rank[order] = np.arange(nodes.size)
        par = np.where(parent_idx >= 0, rank[np.maximum(parent_idx, 0)], -1)[order]
        # cycles: pointer doubling; a node that never reaches a root is in (or under) a cycle
        jump = par.copy()
        for _ in range(max(1, int(nodes.size).bit_length()) + 1):
            jump = np.where(jump >= 0, jump[np.maximum(jump, 0)], -1)
        bad = jump >= 0
        if bad.any():
            pos = np.sort(order[bad])
            raise InputError.for_rows(
                "parent",
                "must not form a cycle",
                positions=pos[:5].tolist(),
                values=[raw[p] for p in pos[:5]],
                n_bad=int(pos.size),
                function=_FN,
                hint="Follow the parents from each of these nodes: one leads back to itself.",
            )
        columns = [np.arange(nodes.size, dtype=np.int64)]
        cur = columns[0]
        while (cur >= 0).any():
            cur = np.where(cur >= 0, par[np.maximum(cur, 0)], -1)
            columns.append(cur)
        anc = np.stack(columns[:-1], axis=1) if nodes.size else np.zeros((0, 1), dtype=np.int64)
        depth = (anc >= 0).sum(axis=1).astype(np.int64) - 1
        if level is not None:
            levels = as_ids(levels_in, field="level", function=_FN).astype(str)[order]
        else:
            levels = np.asarray([f"level {d}" for d in depth.tolist()], dtype=str)
        return cls(
            node=as_readonly(sorted_nodes),
            parent=as_readonly(par.astype(np.int64)),
            depth=as_readonly(depth),
            level=as_readonly(levels.astype(str) if levels.size else np.zeros(0, dtype="<U1")),
            ancestors=as_readonly(anc.astype(np.int64)),
        )

    @classmethod
    def from_frame(
        cls, frame: object, *, node: str = "node", parent: str = "parent", level: str | None = None
    ) -> Hierarchy:
        """Validate a node -> parent table from a DataFrame or a mapping of columns.

        Parameters
        ----------
        frame : DataFrame-like or mapping of str to array_like
            The table.
        node, parent : str
            Column names.
        level : str, optional
            Column of level names.

        Returns
        -------
        Hierarchy

        Raises
        ------
        InputError
            As :meth:`from_arrays`, and for a missing column.

        Examples
        --------
        >>> import pandas as pd
        >>> df = pd.DataFrame({"node": ["ana", "team a"], "parent": ["team a", None]})
        >>> Hierarchy.from_frame(df).depth.tolist()
        [1, 0]
        """
        cols = read_table(frame, field="frame", function=_FN)
        given = {"node": node, "parent": parent} | ({} if level is None else {"level": level})
        for param, name in given.items():
            instance(name, str, name=param, function=_FN, what="a column name (str)")
            if name not in cols:
                raise InputError(
                    f"The {param!r} column of {_FN} was mapped to {name!r}, which the table "
                    f"does not have; it has {list(cols)}.",
                    field=param,
                )
        return cls.from_arrays(
            node=cols[node], parent=cols[parent], level=None if level is None else cols[level]
        )

    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return int(self.node.size)

    def index(self, values: object, *, field: str, function: str) -> IntArray:
        """Return the node index of each value; InputError naming the rows of unknown ones.

        Parameters
        ----------
        values : array_like, shape (n,)
            Node ids.
        field, function : str
            The column and the public function asking, for the error message.

        Returns
        -------
        ndarray of int64, shape (n,)

        Raises
        ------
        InputError
            For values that are not nodes.

        Examples
        --------
        >>> h = Hierarchy.from_arrays(node=["b", "a"], parent=[None, "b"])
        >>> h.index(["b", "a"], field="node", function="example").tolist()
        [1, 0]
        """
        ids = as_ids(values, field=field, function=function)
        keys, vals = self.node, ids
        if keys.size and vals.size and keys.dtype.kind != vals.dtype.kind:
            keys, vals = keys.astype(str), vals.astype(str)
        idx = np.clip(np.searchsorted(keys, vals), 0, max(keys.size - 1, 0))
        known = keys[idx] == vals if keys.size else np.zeros(vals.size, dtype=bool)
        if not known.all():
            pos = np.flatnonzero(~known)
            raise InputError.for_rows(
                field,
                "must name nodes of the hierarchy",
                positions=pos[:5].tolist(),
                values=[ids[p] for p in pos[:5]],
                n_bad=int(pos.size),
                function=function,
            )
        return idx.astype(np.int64)

    def is_ancestor(self, ancestor: object, node: object) -> bool:
        """Whether *ancestor* is a strict ancestor of *node*.

        Parameters
        ----------
        ancestor, node : int or str
            Node ids.

        Returns
        -------
        bool

        Raises
        ------
        InputError
            If either is not a node.

        Examples
        --------
        >>> h = Hierarchy.from_arrays(node=["team", "ana"], parent=[None, "team"])
        >>> h.is_ancestor("team", "ana"), h.is_ancestor("ana", "ana")
        (True, False)
        """
        a, n = self.index([ancestor, node], field="node", function="Hierarchy.is_ancestor")
        return bool((self.ancestors[n, 1:] == a).any())

    def __repr__(self) -> str:
        depth = int(self.depth.max()) + 1 if self.depth.size else 0
        return f"Hierarchy(nodes={self.n_nodes}, levels={depth})"

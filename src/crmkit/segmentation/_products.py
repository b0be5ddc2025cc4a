"""Product mix per customer and segment, product affinity and cross-sell candidates."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Final

import attrs
import numpy as np
import numpy.typing as npt

from crmkit import _params
from crmkit._engine import transaction_cells
from crmkit._groups import Factorized, factorize
from crmkit._input import as_ids, as_readonly, check_same_length
from crmkit._numeric import cancellation_error
from crmkit._reduce import bincount, distinct_pairs
from crmkit._results import Kind, Result
from crmkit._transactions import Transactions, as_transactions
from crmkit.errors import InputError
from crmkit.segmentation._segments import Segments

__all__ = [
    "CrossSell",
    "ProductAffinity",
    "ProductMix",
    "cross_sell",
    "product_affinity",
    "product_mix",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

_CHUNK: Final = 1 << 16  # customers per block when a (customers x products) block is built
_MAX_CELLS: Final = 200_000_000


def _read(
    data: object, *, product: str, customer: str, timestamp: str, amount: str, function: str
) -> tuple[Transactions, npt.NDArray[Any]]:
    if isinstance(data, Transactions):
        if product not in data.extra:
            raise InputError(
                f"The transactions given to {function} have no {product!r} column; "
                f"extra columns: {sorted(data.extra)}.",
                field="product",
                hint="Build Transactions with extra=['product'] or pass product='<column>'.",
            )
        return data, as_ids(data.extra[product], field="product", function=function)
    cells = transaction_cells(  # a lazy table: one row per (customer, product), summed in-engine
        data,
        customer=customer,
        timestamp=timestamp,
        amount=amount,
        keys={"product": product},
        function=function,
    )
    if cells is not None:
        return cells[0], as_ids(cells[0].extra["product"], field="product", function=function)
    tx = as_transactions(
        data, customer=customer, timestamp=timestamp, amount=amount, extra={"product": product}
    )
    return tx, as_ids(tx.extra["product"], field="product", function=function)


def _check_size(k: int, m: int, function: str) -> None:
    if k * m > _MAX_CELLS:
        raise InputError(
            f"{function} would build a {k} customers x {m} products table "
            f"({k * m:,} cells), more than {_MAX_CELLS:,}.",
            field="product",
            hint="Analyse product categories rather than SKUs, or a sample of customers.",
        )


def _row_shares(table: FloatArray, function: str) -> tuple[FloatArray, npt.NDArray[np.bool_]]:
    """Each row over its sum (0 where the sum is <= 0), and which rows are positive.

    Row sums cannot overflow (the boundary refuses amounts whose magnitudes
    sum past float64), but refunds can cancel a row's purchases to almost
    nothing: its shares are then beyond float64, a named error.
    """
    total = table.sum(axis=1)
    positive = total > 0
    share = np.zeros_like(table)
    with np.errstate(over="ignore"):
        np.divide(table, total[:, None], out=share, where=positive[:, None])
    if not np.isfinite(share).all():
        row = int(np.flatnonzero(~np.isfinite(share).all(axis=1))[0])
        largest = float(np.abs(table[row]).max())
        raise cancellation_error(
            "amount", function=function, total=float(total[row]), largest=largest
        )
    return share, positive


@attrs.frozen(kw_only=True, repr=False)
class ProductMix(Result):
    """Revenue by product per customer (long form) and per segment.

    Attributes
    ----------
    customer, product : ndarray, shape (r,)
        One row per (customer, product) bought.
    revenue : ndarray of float64, shape (r,)
        Net revenue of the product for the customer.
    share : ndarray of float64, shape (r,)
        Its share of the customer's net revenue (0 when that total is <= 0).
    products : ndarray, shape (m,)
        Every product, ascending.
    customers : ndarray, shape (k,)
        Every customer, ascending.
    customer_share : ndarray of float64, shape (k, m)
        The same shares as a dense matrix.
    segment_names : tuple of str
        Segments when ``segments`` was given (in table order for
        :class:`Segments`, empty ones included; sorted for a mapping), else empty.
    segment_share : ndarray of float64, shape (s, m)
        Share of each segment's revenue by product.
    n_customers_nonpositive : int
        Customers whose net revenue is <= 0 (refunds), shares set to 0.
    n_customers_unsegmented : int
        Customers with transactions but no segment (left out of
        ``segment_share``).

    Examples
    --------
    >>> mix = product_mix(
    ...     {
    ...         "customer": [1, 1],
    ...         "timestamp": ["2024-01-01"] * 2,
    ...         "amount": [3.0, 1.0],
    ...         "product": ["a", "b"],
    ...     }
    ... )
    >>> mix.customer_share.tolist()
    [[0.75, 0.25]]
    """

    _table: ClassVar[tuple[str, ...]] = ("customer", "product", "revenue", "share")
    _kinds: ClassVar[Mapping[str, Kind]] = {
        "customer": "id",
        "product": "id",
        "revenue": "money",
        "share": "share",
        "products": "id",
        "customers": "id",
        "customer_share": "share",
        "segment_share": "share",
    }

    customer: npt.NDArray[Any]
    product: npt.NDArray[Any]
    revenue: FloatArray
    share: FloatArray
    products: npt.NDArray[Any]
    customers: npt.NDArray[Any]
    customer_share: FloatArray
    segment_names: tuple[str, ...]
    segment_share: FloatArray
    n_customers_nonpositive: int
    n_customers_unsegmented: int


def _segment_codes(
    segments_in: Segments | Mapping[str, npt.ArrayLike],
    customers: Factorized,
    function: str,
) -> tuple[IntArray, tuple[str, ...]]:
    """Return the segment code per customer of *customers* (-1 when unsegmented)."""
    segments: object = segments_in
    if isinstance(segments, Segments):
        ids, seg_codes, names = segments.customer, segments.code, segments.names
    elif isinstance(segments, Mapping) and "customer" in segments and "segment" in segments:
        ids = as_ids(segments["customer"], field="customer", function=function)
        labels = as_ids(segments["segment"], field="segment", function=function).astype(str)
        check_same_length({"customer": ids.size, "segment": labels.size}, function=function)
        seg = factorize(np.asarray(labels))
        seg_codes, names = seg.codes, tuple(str(x) for x in seg.uniques.tolist())
    else:
        raise InputError(
            f"The 'segments' parameter of {function} must be Segments or a mapping with "
            f"'customer' and 'segment' columns; got a {type(segments).__name__}.",
            field="segments",
        )
    if (ids.dtype.kind == "U") != (customers.uniques.dtype.kind == "U"):
        raise InputError(
            f"The segment customer ids of {function} ({ids.dtype}) are not of the kind of "
            f"the transaction ids ({customers.uniques.dtype}).",
            field="segments",
        )
    both = factorize(np.concatenate([customers.uniques, ids]))
    k = customers.n_groups
    lookup = np.full(both.n_groups, -1, dtype=np.int64)
    lookup[both.codes[k:]] = seg_codes
    return lookup[both.codes[:k]], names


def product_mix(
    data: object,
    *,
    product: str = "product",
    segments: Segments | Mapping[str, npt.ArrayLike] | None = None,
    customer: str = "customer",
    timestamp: str = "timestamp",
    amount: str = "amount",
) -> ProductMix:
    r"""Share of revenue by product, per customer and per segment.

    Parameters
    ----------
    data : Transactions, DataFrame-like, mapping of arrays or records
        Transactions with a product (or category) column.
    product : str, default "product"
        The product column (an extra column of a ``Transactions``).
    segments : Segments or mapping, optional
        Segments per customer (from :func:`assign_segments`, or columns
        ``customer`` and ``segment``) for the per-segment mix.
    customer, timestamp, amount : str
        Column names when *data* is a frame, mapping or records.

    Returns
    -------
    ProductMix
        Long-form (customer, product) revenue and shares, the dense matrix
        and the per-segment mix.

    Raises
    ------
    InputError
        On a missing product column, invalid rows, a customer x product
        table above 200 million cells, or refunds that cancel a customer's
        (or segment's) revenue to almost nothing against its largest product
        (no share of it fits in a float64).

    Notes
    -----
    :math:`share_{cp} = rev_{cp} / \sum_{p'} rev_{cp'}` with net revenue
    (refunds subtract); per segment the revenues are summed first. One
    ``bincount`` over ``customer * m + product``.

    Examples
    --------
    >>> from crmkit.segmentation import product_mix
    >>> mix = product_mix(
    ...     {
    ...         "customer": [1, 1, 1, 2],
    ...         "timestamp": ["2024-01-01"] * 4,
    ...         "amount": [30.0, 10.0, 60.0, 5.0],
    ...         "product": ["bread", "milk", "bread", "milk"],
    ...     }
    ... )
    >>> mix.customer.tolist(), mix.product.tolist(), mix.share.tolist()
    ([1, 1, 2], ['bread', 'milk', 'milk'], [0.9, 0.1, 1.0])
    """
    function = "product_mix"
    tx, prod_ids = _read(
        data,
        product=product,
        customer=customer,
        timestamp=timestamp,
        amount=amount,
        function=function,
    )
    cust = factorize(tx.customer)
    prod = factorize(prod_ids)
    k, m = cust.n_groups, prod.n_groups
    _check_size(k, m, function)
    cell = cust.codes * m + prod.codes
    # amounts are checked at the boundary: no sum of them can overflow
    revenue = bincount(cell, weights=tx.amount, minlength=k * m).astype(np.float64).reshape(k, m)
    bought = bincount(cell, minlength=k * m).reshape(k, m) > 0
    share, positive = _row_shares(revenue, function)
    rows, cols = np.nonzero(bought)
    seg_names: tuple[str, ...] = ()
    seg_share = np.zeros((0, m), dtype=np.float64)
    n_unseg = 0
    if segments is not None:
        codes, seg_names = _segment_codes(segments, cust, function)
        has = codes >= 0
        n_unseg = int(k - np.count_nonzero(has))
        s = len(seg_names)
        seg_rev = np.zeros((s, m), dtype=np.float64)
        np.add.at(seg_rev, codes[has], revenue[has])
        seg_share, _ = _row_shares(seg_rev, function)
    return ProductMix(
        customer=as_readonly(cust.uniques[rows]),
        product=as_readonly(prod.uniques[cols]),
        revenue=as_readonly(revenue[rows, cols]),
        share=as_readonly(share[rows, cols]),
        products=as_readonly(prod.uniques),
        customers=as_readonly(cust.uniques),
        customer_share=as_readonly(share),
        segment_names=seg_names,
        segment_share=as_readonly(seg_share),
        n_customers_nonpositive=int(k - np.count_nonzero(positive)),
        n_customers_unsegmented=n_unseg,
    )


def _ownership(cust_codes: IntArray, prod_codes: IntArray, k: int) -> tuple[IntArray, IntArray]:
    """Distinct (customer, product) pairs, sorted by customer: who bought what at least once."""
    pairs = distinct_pairs(cust_codes, prod_codes, k)
    return pairs.group, pairs.key


def _block_rows(m: int) -> int:
    """Return the customers per dense block so that a block holds at most ~8M cells."""
    return max(256, min(_CHUNK, (1 << 23) // max(m, 1)))


def _spans(owner: IntArray, k: int, rows: int) -> list[tuple[int, int, int]]:
    """(first customer, first pair, end pair) of each block of *rows* customers."""
    starts = np.arange(0, k, rows, dtype=np.int64)
    bounds = np.searchsorted(owner, np.append(starts, k))
    return list(zip(starts.tolist(), bounds[:-1].tolist(), bounds[1:].tolist(), strict=True))


@attrs.frozen(kw_only=True, repr=False)
class ProductAffinity(Result):
    """Association of product pairs across customers (who bought both).

    Attributes
    ----------
    antecedent, consequent : ndarray, shape (r,)
        Ordered product pairs (a -> b), a != b, with support >= ``min_support``.
    customers_both : ndarray of int64, shape (r,)
        Customers who bought both.
    support : ndarray of float64, shape (r,)
        ``customers_both / n_customers``.
    confidence : ndarray of float64, shape (r,)
        Share of the buyers of ``a`` who also bought ``b``.
    lift : ndarray of float64, shape (r,)
        ``confidence / P(b)``; above 1 means bought together more than chance.
    products : ndarray, shape (m,)
        Every product.
    buyers : ndarray of int64, shape (m,)
        Customers who bought each product.
    n_customers : int
        Customers in the data.
    min_support : float
        The support filter used.

    Examples
    --------
    >>> aff = product_affinity(
    ...     {
    ...         "customer": [1, 1],
    ...         "timestamp": ["2024-01-01"] * 2,
    ...         "amount": [3.0, 1.0],
    ...         "product": ["a", "b"],
    ...     }
    ... )
    >>> aff.lift.tolist()
    [1.0, 1.0]
    """

    _table: ClassVar[tuple[str, ...]] = (
        "antecedent",
        "consequent",
        "customers_both",
        "support",
        "confidence",
        "lift",
    )
    _kinds: ClassVar[Mapping[str, Kind]] = {
        "antecedent": "id",
        "consequent": "id",
        "support": "share",
        "confidence": "share",
        "lift": "number",
        "products": "id",
        "min_support": "share",
    }
    _rows: ClassVar[tuple[str, ...]] = _table

    antecedent: npt.NDArray[Any]
    consequent: npt.NDArray[Any]
    customers_both: IntArray
    support: FloatArray
    confidence: FloatArray
    lift: FloatArray
    products: npt.NDArray[Any]
    buyers: IntArray
    n_customers: int
    min_support: float


def _cooccurrence(owner: IntArray, item: IntArray, k: int, m: int) -> IntArray:
    """``B.T @ B`` of the customer x product ownership matrix, built in blocks."""
    out = np.zeros((m, m), dtype=np.float64)
    rows = _block_rows(m)
    for first, lo, hi in _spans(owner, k, rows):
        if hi == lo:
            continue
        block = np.zeros((rows, m), dtype=np.float64)
        block[owner[lo:hi] - first, item[lo:hi]] = 1.0
        out += block.T @ block
    return np.rint(out).astype(np.int64)


def product_affinity(
    data: object,
    *,
    product: str = "product",
    min_support: float = 0.0,
    customer: str = "customer",
    timestamp: str = "timestamp",
    amount: str = "amount",
) -> ProductAffinity:
    """Support, confidence and lift of product pairs bought by the same customers.

    Parameters
    ----------
    data : Transactions, DataFrame-like, mapping of arrays or records
        Transactions with a product column. A customer "bought" a product if
        any row (refunds included) names it.
    product : str, default "product"
        The product column.
    min_support : float, default 0.0
        Keep pairs bought together by at least this share of customers, in [0, 1).
    customer, timestamp, amount : str
        Column names when *data* is a frame, mapping or records.

    Returns
    -------
    ProductAffinity
        One row per ordered pair ``a -> b`` (a != b) passing ``min_support``.

    Raises
    ------
    InputError
        On a missing product column, invalid rows or a bad ``min_support``.

    Notes
    -----
    Customer-level baskets: with :math:`N` customers, :math:`n_a` buyers of
    :math:`a` and :math:`n_{ab}` of both, support :math:`= n_{ab}/N`,
    confidence :math:`= n_{ab}/n_a`, lift :math:`= N n_{ab} / (n_a n_b)`.
    The co-purchase counts are :math:`B^T B` of the ownership matrix, built
    in blocks of customers: no loop over customers or pairs.

    References
    ----------
    .. [1] Agrawal, R., Imielinski, T. and Swami, A. (1993). "Mining
       association rules between sets of items in large databases."
       *Proceedings of ACM SIGMOD*, 207-216.

    Examples
    --------
    >>> from crmkit.segmentation import product_affinity
    >>> aff = product_affinity(
    ...     {
    ...         "customer": [1, 1, 2, 2, 3, 4],
    ...         "timestamp": ["2024-01-01"] * 6,
    ...         "amount": [1.0] * 6,
    ...         "product": ["tent", "stove", "tent", "stove", "tent", "socks"],
    ...     }
    ... )
    >>> i = (aff.antecedent == "stove") & (aff.consequent == "tent")
    >>> float(aff.confidence[i][0]), round(float(aff.lift[i][0]), 3)
    (1.0, 1.333)
    """
    function = "product_affinity"
    support_min = _params.probability(
        min_support, name="min_support", function=function, high_open=True
    )
    tx, prod_ids = _read(
        data,
        product=product,
        customer=customer,
        timestamp=timestamp,
        amount=amount,
        function=function,
    )
    cust = factorize(tx.customer)
    prod = factorize(prod_ids)
    k, m = cust.n_groups, prod.n_groups
    _check_size(m, m, function)
    owner, item = _ownership(cust.codes, prod.codes, k)
    co = _cooccurrence(owner, item, k, m)
    buyers = np.diag(co).copy()
    a, b = np.nonzero(~np.eye(m, dtype=np.bool_))
    both = co[a, b]
    support = both / k
    keep = (support >= support_min) & (both > 0) if support_min > 0 else np.ones(a.size, bool)
    a, b, both, support = a[keep], b[keep], both[keep], support[keep]
    confidence = both / buyers[a]
    lift = confidence / (buyers[b] / k)
    return ProductAffinity(
        antecedent=as_readonly(prod.uniques[a]),
        consequent=as_readonly(prod.uniques[b]),
        customers_both=as_readonly(both),
        support=as_readonly(support),
        confidence=as_readonly(confidence),
        lift=as_readonly(lift),
        products=as_readonly(prod.uniques),
        buyers=as_readonly(buyers),
        n_customers=k,
        min_support=support_min,
    )


@attrs.frozen(kw_only=True, repr=False)
class CrossSell(Result):
    """Products to offer each customer: popular in their segment, not yet bought.

    Attributes
    ----------
    customer : ndarray, shape (r,)
        Customer per recommendation.
    rank : ndarray of int64, shape (r,)
        1 = best candidate for that customer.
    product : ndarray, shape (r,)
        The product to offer.
    segment : ndarray of str, shape (r,)
        The customer's segment.
    penetration : ndarray of float64, shape (r,)
        Share of the segment's customers who bought the product.
    n : int
        Most candidates per customer.
    n_customers_unsegmented : int
        Customers with transactions but no segment (no candidates).

    Examples
    --------
    >>> offers = cross_sell(
    ...     {
    ...         "customer": [1, 2, 2],
    ...         "timestamp": ["2024-01-01"] * 3,
    ...         "amount": [1.0] * 3,
    ...         "product": ["a", "a", "b"],
    ...     },
    ...     {"customer": [1, 2], "segment": ["s", "s"]},
    ... )
    >>> offers.customer.tolist(), offers.product.tolist(), offers.penetration.tolist()
    ([1], ['b'], [0.5])
    """

    _table: ClassVar[tuple[str, ...]] = ("customer", "rank", "product", "segment", "penetration")
    _kinds: ClassVar[Mapping[str, Kind]] = {
        "customer": "id",
        "product": "id",
        "penetration": "share",
    }
    _rows: ClassVar[tuple[str, ...]] = _table

    customer: npt.NDArray[Any]
    rank: IntArray
    product: npt.NDArray[Any]
    segment: npt.NDArray[np.str_]
    penetration: FloatArray
    n: int
    n_customers_unsegmented: int


def cross_sell(
    data: object,
    segments: Segments | Mapping[str, npt.ArrayLike],
    *,
    n: int = 3,
    product: str = "product",
    customer: str = "customer",
    timestamp: str = "timestamp",
    amount: str = "amount",
) -> CrossSell:
    r"""Suggest, per customer, the products most bought in their segment that they lack.

    Parameters
    ----------
    data : Transactions, DataFrame-like, mapping of arrays or records
        Transactions with a product column.
    segments : Segments or mapping
        Segment per customer (:func:`assign_segments`, or columns ``customer``
        and ``segment``): "similar customers" are those of the same segment.
    n : int, default 3
        Most candidates per customer, >= 1.
    product : str, default "product"
        The product column.
    customer, timestamp, amount : str
        Column names when *data* is a frame, mapping or records.

    Returns
    -------
    CrossSell
        Long form: up to ``n`` rows per customer, best first; products nobody
        in the segment bought are never suggested.

    Raises
    ------
    InputError
        On a missing product column, invalid rows, bad segments or ``n < 1``.

    Notes
    -----
    Penetration :math:`P_{sp}` = share of segment :math:`s`'s customers who
    bought :math:`p`; customer :math:`c` in :math:`s` gets the top ``n`` of
    :math:`P_{s\cdot}` over products they have not bought (ties by product
    order). Computed in blocks of customers with one ``argsort`` over
    products per block.

    Examples
    --------
    >>> from crmkit.segmentation import cross_sell
    >>> offers = cross_sell(
    ...     {
    ...         "customer": [1, 1, 2, 2, 3],
    ...         "timestamp": ["2024-01-01"] * 5,
    ...         "amount": [1.0] * 5,
    ...         "product": ["tent", "stove", "tent", "lamp", "tent"],
    ...     },
    ...     {"customer": [1, 2, 3], "segment": ["campers"] * 3},
    ...     n=1,
    ... )
    >>> offers.customer.tolist(), offers.product.tolist()
    ([1, 2, 3], ['lamp', 'stove', 'lamp'])
    """
    function = "cross_sell"
    top_n = _params.integer(n, name="n", function=function, minimum=1)
    tx, prod_ids = _read(
        data,
        product=product,
        customer=customer,
        timestamp=timestamp,
        amount=amount,
        function=function,
    )
    cust = factorize(tx.customer)
    prod = factorize(prod_ids)
    k, m = cust.n_groups, prod.n_groups
    seg_codes, seg_names = _segment_codes(segments, cust, function)
    owner, item = _ownership(cust.codes, prod.codes, k)
    s = len(seg_names)
    owner_seg = seg_codes[owner]
    segd = owner_seg >= 0
    counts = bincount(owner_seg[segd] * m + item[segd], minlength=s * m).reshape(s, m)
    sizes = bincount(seg_codes[seg_codes >= 0], minlength=s)
    penetration = counts / np.maximum(sizes, 1)[:, None]
    take = min(top_n, m)
    out_c: list[IntArray] = []
    out_p: list[IntArray] = []
    out_r: list[IntArray] = []
    out_v: list[FloatArray] = []
    rows_per_block = _block_rows(m)
    for first, lo, hi in _spans(owner, k, rows_per_block):
        codes = seg_codes[first : first + rows_per_block]
        score = np.where(codes[:, None] >= 0, penetration[np.maximum(codes, 0)], 0.0)
        score[owner[lo:hi] - first, item[lo:hi]] = 0.0  # already bought
        order = np.argsort(-score, axis=1, kind="stable")[:, :take]
        best = np.take_along_axis(score, order, axis=1)
        rows, ranks = np.nonzero(best > 0)
        out_c.append(rows + first)
        out_p.append(order[rows, ranks])
        out_r.append(ranks + 1)
        out_v.append(best[rows, ranks])
    c_idx = np.concatenate(out_c) if out_c else np.zeros(0, dtype=np.int64)
    p_idx = np.concatenate(out_p) if out_p else np.zeros(0, dtype=np.int64)
    names = np.asarray(seg_names or ("",))
    return CrossSell(
        customer=as_readonly(cust.uniques[c_idx]),
        rank=as_readonly(np.concatenate(out_r) if out_r else np.zeros(0, dtype=np.int64)),
        product=as_readonly(prod.uniques[p_idx]),
        segment=as_readonly(names[seg_codes[c_idx]]),
        penetration=as_readonly(np.concatenate(out_v) if out_v else np.zeros(0)),
        n=top_n,
        n_customers_unsegmented=int(np.count_nonzero(seg_codes < 0)),
    )

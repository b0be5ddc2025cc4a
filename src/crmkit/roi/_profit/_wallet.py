"""Share of wallet on the P&L: what the spend we do not get would earn."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Literal

import attrs
import numpy as np
import numpy.typing as npt

from crmkit._input import as_amounts, as_ids, as_readonly, check_same_length
from crmkit._params import choice
from crmkit._results import Kind, Result
from crmkit._values import bad_rows_error
from crmkit.errors import InputError
from crmkit.roi._profit._pnl import CustomerPnL
from crmkit.roi._profit._views import _align, not_empty, pnl_value
from crmkit.segmentation import share_of_wallet

__all__ = ["WalletOpportunity", "wallet_opportunity"]

FloatArray = npt.NDArray[np.float64]


@attrs.frozen(kw_only=True, repr=False)
class WalletOpportunity(Result):
    """Share of wallet per customer with the margin the wallet gap would bring.

    Attributes
    ----------
    customer : ndarray, shape (n,)
        Customer ids (the P&L's).
    revenue, category_spend : ndarray of float64, shape (n,)
        Spend with us and the customer's total category spend (the wallet).
    share : ndarray of float64, shape (n,)
        Share of wallet, from :func:`crmkit.segmentation.share_of_wallet`.
    wallet_gap : ndarray of float64, shape (n,)
        Category spend that goes to competitors.
    margin_rate : ndarray of float64, shape (n,)
        The customer's gross margin rate (the base-wide rate where the
        customer has no revenue). NaN exactly where the customer has no
        revenue and neither has anyone else (the rate is undefined).
    gap_margin : ndarray of float64, shape (n,)
        ``wallet_gap x margin_rate``: gross margin if we won the gap; NaN
        exactly where ``margin_rate`` is.
    profit : ndarray of float64, shape (n,)
        Current profit after cost to serve.
    overall_share : float
        Total revenue / total category spend.
    n_capped : int
        Customers whose wallet estimate was below their spend with us and was
        raised to it (``excess="cap"``).

    Examples
    --------
    >>> from crmkit.roi import MarginRate, customer_pnl
    >>> pnl = customer_pnl(
    ...     {"customer": [1], "timestamp": ["2024-01-01"], "amount": [60.0]},
    ...     margin=MarginRate(rate=0.5),
    ... )
    >>> wallet_opportunity(pnl, category_spend=[100.0]).gap_margin.tolist()
    [20.0]
    """

    _table: ClassVar[tuple[str, ...]] = (
        "customer",
        "revenue",
        "category_spend",
        "share",
        "wallet_gap",
        "margin_rate",
        "gap_margin",
        "profit",
    )
    _kinds: ClassVar[Mapping[str, Kind]] = {
        "customer": "id",
        "revenue": "money",
        "category_spend": "money",
        "share": "share",
        "wallet_gap": "money",
        "margin_rate": "share",
        "gap_margin": "money",
        "profit": "money",
        "overall_share": "share",
    }
    _rows: ClassVar[tuple[str, ...]] = _table

    def _recount(self, rows: dict[str, Any]) -> dict[str, Any]:
        wallet = float(rows["category_spend"].sum())
        share = float(rows["revenue"].sum()) / wallet if wallet > 0 else float("nan")
        return rows | {"overall_share": share}

    customer: npt.NDArray[Any]
    revenue: FloatArray
    category_spend: FloatArray
    share: FloatArray
    wallet_gap: FloatArray
    margin_rate: FloatArray
    gap_margin: FloatArray
    profit: FloatArray
    overall_share: float
    n_capped: int


def wallet_opportunity(
    pnl: CustomerPnL,
    *,
    category_spend: npt.ArrayLike,
    wallet_customer: npt.ArrayLike | None = None,
    excess: Literal["raise", "cap"] = "raise",
) -> WalletOpportunity:
    r"""Share of wallet and the margin in the wallet gap, per P&L customer.

    Parameters
    ----------
    pnl : CustomerPnL
        The customer P&L (revenue is the spend with us).
    category_spend : array_like of float, shape (n,)
        Each customer's total category spend over the P&L window, > 0:
        aligned with ``pnl.customer``, or with *wallet_customer*.
    wallet_customer : array_like, shape (n,), optional
        Customer id of each wallet, each id once; every P&L customer needs one
        (wallets of customers outside the P&L are not used).
    excess : {"raise", "cap"}
        What to do where revenue exceeds the wallet estimate; see
        :func:`crmkit.segmentation.share_of_wallet`.

    Returns
    -------
    WalletOpportunity
        Share, gap, margin rate, the gap's margin and current profit per customer.

    Raises
    ------
    InputError
        For a *pnl* that is not a ``CustomerPnL``, negative revenue (net
        refunds), wallets <= 0 or not finite, missing, repeated or misaligned
        wallets, revenue above the wallet with ``excess="raise"`` (naming
        ``category_spend``), or a gap margin beyond float64's range (a gross
        margin huge against its revenue).

    Notes
    -----
    Share and gap come from :func:`crmkit.segmentation.share_of_wallet`;
    the gap's margin is :math:`(W_i - R_i)\, m_i` with
    :math:`m_i = GM_i / R_i` (the base-wide :math:`\sum GM / \sum R` where
    :math:`R_i = 0`).

    References
    ----------
    Du, R. Y., Kamakura, W. A., & Mela, C. F. (2007). Size and share of
    customer wallet. *Journal of Marketing*, 71(2), 94-113.

    Examples
    --------
    >>> from crmkit.roi import MarginRate, customer_pnl
    >>> pnl = customer_pnl(
    ...     {"customer": [1, 2], "timestamp": ["2024-03-01"] * 2, "amount": [300.0, 50.0]},
    ...     margin=MarginRate(rate=0.3),
    ... )
    >>> gap = wallet_opportunity(pnl, category_spend=[400.0, 1000.0])
    >>> gap.share.tolist(), gap.gap_margin.round(2).tolist()
    ([0.75, 0.05], [30.0, 285.0])
    """
    fn = "wallet_opportunity"
    pnl = pnl_value(pnl, fn)
    mode: Literal["raise", "cap"] = (
        "cap" if choice(excess, ("raise", "cap"), name="excess", function=fn) == "cap" else "raise"
    )
    wallet, _ = as_amounts(category_spend, field="category_spend", function=fn)
    not_empty(wallet, "category_spend", fn)
    if wallet_customer is not None:
        owners = as_ids(wallet_customer, field="wallet_customer", function=fn)
        not_empty(owners, "wallet_customer", fn)
        check_same_length(
            {"category_spend": wallet.shape[0], "wallet_customer": owners.shape[0]}, function=fn
        )
        wallet = _align(
            pnl.customer,
            owners,
            wallet,
            fn,
            field="category_spend",
            owner_field="wallet_customer",
        ).astype(np.float64)
    else:
        check_same_length(
            {"pnl.customer": pnl.customer.shape[0], "category_spend": wallet.shape[0]},
            function=fn,
        )
    if wallet.size and wallet.min() <= 0:
        raise bad_rows_error(
            wallet <= 0,
            wallet,
            field="category_spend",
            requirement="must be > 0 (a customer's total spend in the category)",
            function=fn,
        )
    negative = pnl.revenue < 0
    if negative.any():
        bad = np.flatnonzero(negative)
        raise InputError.for_rows(
            "revenue",
            "must be >= 0 to have a share of wallet",
            positions=bad[:5].tolist(),
            values=pnl.revenue[bad[:5]].tolist(),
            n_bad=int(bad.size),
            function=fn,
            hint="These customers returned more than they bought; leave them out of the P&L "
            "passed here.",
        )
    over = pnl.revenue > wallet
    if mode == "raise" and over.any():
        below = np.flatnonzero(over)
        shown = ", ".join(
            f"{pnl.customer[i].item()!r} ({wallet[i]:g} < {pnl.revenue[i]:g})" for i in below[:5]
        )
        raise InputError(
            f"The 'category_spend' column of {fn} must be at least each customer's revenue "
            f"with us; {below.size} below it: {shown}.",
            field="category_spend",
            n_bad=int(below.size),
            hint="The wallet estimate is too low for these customers; fix it or pass "
            "excess='cap' to raise the wallet to the spend with us.",
        )
    sow = share_of_wallet(pnl.revenue, wallet, customer=pnl.customer, excess=mode)
    total_revenue = float(pnl.revenue.sum())
    base_rate = float(pnl.gross_margin.sum()) / total_revenue if total_revenue > 0 else np.nan
    with np.errstate(all="ignore"):  # the rate is checked below; NaN only without revenue
        rate = np.where(pnl.revenue > 0, pnl.gross_margin / pnl.revenue, base_rate)
        gap_margin = np.asarray(sow.wallet_gap * rate, dtype=np.float64)
    defined = ~np.isnan(rate)
    beyond = defined & ~(np.isfinite(rate) & np.isfinite(gap_margin))
    if beyond.any():
        shown = pnl.customer[np.flatnonzero(beyond)[:5]].tolist()
        raise InputError(
            f"The margin in the wallet gap of {fn} passes float64's range (about 1.8e308) for "
            f"customers {shown}: their gross margin is huge against their revenue.",
            field="pnl",
            hint="Check the amounts and costs of these customers.",
        )
    return WalletOpportunity(
        customer=pnl.customer,
        revenue=pnl.revenue,
        category_spend=as_readonly(np.asarray(sow.category_spend, dtype=np.float64)),
        share=as_readonly(np.asarray(sow.share, dtype=np.float64)),
        wallet_gap=as_readonly(np.asarray(sow.wallet_gap, dtype=np.float64)),
        margin_rate=as_readonly(rate),
        gap_margin=as_readonly(gap_margin),
        profit=pnl.profit,
        overall_share=float(sow.overall_share),
        n_capped=int(sow.n_capped),
    )

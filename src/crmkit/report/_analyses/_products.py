"""What customers buy: the product mix per segment, affinities, the next offers."""

from __future__ import annotations

import numpy as np

from crmkit._transactions import Transactions
from crmkit.report._analyses._base import Analysis, pct
from crmkit.report._model import Table
from crmkit.segmentation import Segments, cross_sell, product_affinity, product_mix

__all__ = ["products_analysis"]


def products_analysis(tx: Transactions, segments: Segments, *, product: str) -> Analysis:
    """Product mix per segment, the strongest affinities and the most frequent next offer."""
    mix = product_mix(tx, product=product, segments=segments)
    affinity = product_affinity(tx, product=product, min_support=0.01)
    offers = cross_sell(tx, segments, n=3, product=product)
    share = np.asarray(mix.segment_share)
    names = list(mix.segment_names)
    products = [str(p) for p in mix.products]
    headlines = [f"{len(products)} products bought by {mix.customers.size:,} customers."]
    by_lift = np.argsort(-affinity.lift, kind="stable")
    if by_lift.size:
        i = int(by_lift[0])
        headlines.append(
            f"Customers who buy {affinity.antecedent[i]} are {affinity.lift[i]:.1f} times as "
            f"likely as others to buy {affinity.consequent[i]} "
            f"({pct(float(affinity.confidence[i]))} of them do)."
        )
    first_offer = np.flatnonzero(offers.rank == 1)
    if first_offer.size:
        offered, counts = np.unique(offers.product[first_offer], return_counts=True)
        top = int(np.argmax(counts))
        headlines.append(
            f"The most frequent next offer is {offered[top]}, the first cross-sell "
            f"suggestion for {counts[top]:,} customers."
        )
    return Analysis(
        headlines=headlines,
        tables=[
            Table(
                title="Share of each segment's revenue by product",
                columns=("segment", *products),
                formats=("text", *(("share",) * len(products))),
                rows=[(names[s], *share[s].tolist()) for s in range(len(names))],
                function="crmkit.segmentation.product_mix",
            ),
            Table(
                title="Strongest product affinities (bought by at least 1 % of customers)",
                columns=("who buy", "also buy", "customers", "confidence", "lift"),
                formats=("text", "text", "count", "share", "number"),
                rows=[
                    (
                        affinity.antecedent[i],
                        affinity.consequent[i],
                        affinity.customers_both[i],
                        affinity.confidence[i],
                        affinity.lift[i],
                    )
                    for i in by_lift[:8]
                ],
                function="crmkit.segmentation.product_affinity",
            ),
        ],
        functions=[
            "crmkit.segmentation.product_mix",
            "crmkit.segmentation.product_affinity",
            "crmkit.segmentation.cross_sell",
        ],
    )

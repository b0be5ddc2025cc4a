"""crmkit: the calculation engine of analytical CRM.

A pure, storage-free library: callers bring customer data (transactions,
opportunities, lifecycle events, costs) as arrays, records or any DataFrame;
crmkit validates it once at the boundary and returns typed, immutable
results. Areas: :mod:`crmkit.segmentation`, :mod:`crmkit.lifecycle`,
:mod:`crmkit.funnel` and :mod:`crmkit.roi`; shared pieces are
:class:`Transactions`, :mod:`crmkit.periods`, :mod:`crmkit.errors` and the
simulators in :mod:`crmkit.datasets`.

Examples
--------
>>> import crmkit
>>> tx = crmkit.Transactions.from_arrays(
...     customer=[1, 2, 1],
...     timestamp=["2024-01-02", "2024-01-05", "2024-02-01"],
...     amount=[30.0, 12.0, 18.0],
... )
>>> tx.n_rows
3
"""

from crmkit import datasets, errors, funnel, lifecycle, periods, roi, segmentation
from crmkit._results import Result
from crmkit._transactions import Transactions, as_transactions
from crmkit._version import __version__

__all__ = [
    "Result",
    "Transactions",
    "__version__",
    "as_transactions",
    "datasets",
    "errors",
    "funnel",
    "lifecycle",
    "periods",
    "roi",
    "segmentation",
]

"""The CDNOW sample: a small real transaction log, shipped with crmkit."""

from __future__ import annotations

import importlib.resources

import numpy as np

from crmkit._transactions import Transactions

__all__ = ["load_cdnow"]

_FILE = "CDNOW_sample.txt"


def load_cdnow() -> Transactions:
    """Load the CDNOW sample: 6,919 purchases of 2,357 real customers, January 1997 to June 1998.

    The customers are a 1/10 systematic sample of the 23,570 who made their
    first-ever purchase at the online music shop CDNOW in the first quarter of
    1997, followed to the end of June 1998 (Fader & Hardie 2001). It is the
    data set on which the buy-till-you-die models were published, so crmkit's
    fits can be checked against the papers on it.

    Returns
    -------
    Transactions
        ``customer`` the sample's customer id (int, 1 to 2357), ``timestamp``
        the purchase day, ``amount`` its value in US dollars; extra columns
        ``cds`` (number of CDs bought, int) and ``master_id`` (the customer's
        id in the full CDNOW master file, int).

    Notes
    -----
    The raw file is read from crmkit's package data (``CDNOW_sample.txt``,
    228 kB, unchanged from the copy that the lifetimes package ships), five
    whitespace-separated columns: master id, sample id, date as ``YYYYMMDD``,
    number of CDs and dollar value. Bruce Hardie publishes the data for
    download without a formal licence; open-source packages (lifetimes,
    BTYD, CLVTools) have redistributed it for many years, and crmkit does the
    same with this attribution. The :doc:`/cli` page says where it comes from.

    References
    ----------
    Fader, P. S., & Hardie, B. G. S. (2001). Forecasting repeat sales at CDNOW:
    a case study. *Interfaces*, 31(3), S94-S107.

    Fader, P. S., Hardie, B. G. S., & Lee, K. L. (2005). "Counting your
    customers" the easy way: an alternative to the Pareto/NBD model.
    *Marketing Science*, 24(2), 275-284.

    Examples
    --------
    The 39-week calibration summary of the BG/NBD paper, from the raw log:

    >>> from crmkit.datasets import load_cdnow
    >>> from crmkit.segmentation import btyd_summary
    >>> cdnow = load_cdnow()
    >>> cdnow.n_rows, cdnow.n_customers
    (6919, 2357)
    >>> summary = btyd_summary(cdnow, freq="day", as_of="1997-10-01")
    >>> int(summary.frequency.sum()), round(float(summary.T.max()) / 7, 2)
    (2457, 38.86)
    """
    source = importlib.resources.files("crmkit.datasets") / "data" / _FILE
    with source.open("r", encoding="ascii") as handle:
        raw = np.loadtxt(handle, dtype=np.int64, usecols=(0, 1, 2, 3))
    with source.open("r", encoding="ascii") as handle:
        dollars = np.loadtxt(handle, dtype=np.float64, usecols=(4,))
    return Transactions.from_arrays(
        customer=raw[:, 1],
        timestamp=raw[:, 2],
        amount=dollars,
        extra={"cds": raw[:, 3], "master_id": raw[:, 0]},
        date_format="%Y%m%d",
    )

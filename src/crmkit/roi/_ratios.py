"""The one rule for ratios with a zero denominator in crmkit.roi's campaign figures.

``a / b`` with ``b == 0`` is ``+inf`` when ``a > 0`` (money spent, nothing
gained: the cost per lead of a campaign without leads), ``-inf`` when
``a < 0`` and NaN when ``a == 0`` too (nothing to measure). ``to_dict`` writes
all three as ``null``. Every result that uses it says so per field.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = ["ratio"]

FloatArray = npt.NDArray[np.float64]


def ratio(numerator: npt.ArrayLike, denominator: npt.ArrayLike) -> FloatArray:
    """Divide element-wise, with the documented results for a zero denominator.

    Examples
    --------
    >>> ratio([1.0, -1.0, 0.0, 6.0], [0.0, 0.0, 0.0, 3.0]).tolist()
    [inf, -inf, nan, 2.0]
    """
    a = np.asarray(numerator, dtype=np.float64)
    b = np.asarray(denominator, dtype=np.float64)
    zero = b == 0
    with np.errstate(over="ignore"):  # a huge quotient is +-inf, as the rule says
        out = a / np.where(zero, 1.0, b)
    infinite = np.where(a > 0, np.inf, np.where(a < 0, -np.inf, np.nan))
    return np.asarray(np.where(zero, infinite, out), dtype=np.float64)

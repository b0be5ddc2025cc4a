"""Type-checked, never run: pins the public signatures of crmkit.roi's finance core.

CI checks it with ``mypy --strict tests/typing``.
"""

from __future__ import annotations

from typing import assert_type

import numpy as np
import numpy.typing as npt

from crmkit.errors import CashFlowError, MultipleIRRError, NoIRRError, NoSignChangeError
from crmkit.roi import (
    IRRRoots,
    Payback,
    discounted_payback_period,
    irr,
    irr_roots,
    mirr,
    npv,
    payback_period,
    xirr,
    xirr_roots,
    xnpv,
)

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


def single_series() -> None:
    assert_type(npv(0.08, [-100.0, 60.0, 60.0], first_period=0), float)
    assert_type(npv(0.08, [-100.0, 60.0, 60.0], first_period=1), float)
    assert_type(irr([-100.0, 60.0, 60.0]), float)
    assert_type(mirr([-100.0, 60.0], finance_rate=0.1, reinvest_rate=0.1), float)
    assert_type(xnpv(0.08, [-100.0, 110.0], ["2024-01-01", "2025-01-01"]), float)
    assert_type(xirr([-100.0, 110.0], ["2024-01-01", "2025-01-01"]), float)


def scenarios(flows: FloatArray, rates: FloatArray) -> None:
    assert_type(npv(rates, flows, first_period=0), float | FloatArray)
    assert_type(irr(flows), float | FloatArray)
    assert_type(mirr(flows, finance_rate=rates, reinvest_rate=0.1), float | FloatArray)
    assert_type(xnpv(rates, flows, ["2024-01-01", "2025-01-01"]), float | FloatArray)
    assert_type(xirr(flows, ["2024-01-01", "2025-01-01"]), float | FloatArray)


def roots(flows: FloatArray) -> None:
    r = irr_roots(flows)
    assert_type(r, IRRRoots)
    assert_type(r.scenario, IntArray)
    assert_type(r.rate, FloatArray)
    assert_type(r.n_roots, IntArray)
    assert_type(r.n_sign_changes, IntArray)
    assert_type(r.method, str)
    assert_type(r.roots(0), FloatArray)
    assert_type(xirr_roots(flows, ["2024-01-01", "2025-01-01"]), IRRRoots)


def payback(flows: FloatArray) -> None:
    p = payback_period(flows, first_period=0)
    assert_type(p, Payback)
    assert_type(p.scenario, IntArray)
    assert_type(p.period, FloatArray)
    assert_type(p.paid_back, npt.NDArray[np.bool_])
    assert_type(p.first_period, int)
    assert_type(p.discounted, bool)
    assert_type(discounted_payback_period(0.1, flows, first_period=1), Payback)


def errors(err: MultipleIRRError, none: NoIRRError, flat: NoSignChangeError) -> None:
    assert_type(err.n_roots, tuple[int, ...])
    assert_type(err.rows, tuple[int, ...])
    assert_type(none.n_bad, int)
    base: CashFlowError = flat
    assert_type(base.rows, tuple[int, ...])

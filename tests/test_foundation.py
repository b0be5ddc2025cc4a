"""Package-level guarantees: lean import, results, group codes, simulator, CLI."""

from __future__ import annotations

import json
import subprocess
import sys

import attrs
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import crmkit
from crmkit import Result
from crmkit._cli import main
from crmkit._groups import factorize
from crmkit._results import json_safe
from crmkit.datasets import simulate_customer_base, simulate_transactions
from crmkit.errors import InputError


def test_import_is_lean():
    code = (
        "import sys, crmkit\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'scipy', 'matplotlib', 'pandas', 'polars', 'pyarrow', 'duckdb', 'dask'})\n"
        "print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_public_names_are_exported():
    for module in (crmkit, crmkit.periods, crmkit.errors, crmkit.datasets):
        for name in module.__all__:
            assert hasattr(module, name), f"{module.__name__}.{name}"


# --- results ------------------------------------------------------------------------------


@attrs.frozen(kw_only=True, repr=False)
class _Table(Result):
    _table = ("customer", "value", "when")
    customer: np.ndarray
    value: np.ndarray
    when: np.ndarray
    note: str


def _table():
    return _Table(
        customer=np.array(["a", "b"]),
        value=np.array([1.5, np.inf]),
        when=np.array(["2024-01-01", "NaT"], dtype="M8[us]"),
        note="demo",
    )


def test_result_to_dict_is_json_safe():
    payload = _table().to_dict()
    assert json.loads(json.dumps(payload, allow_nan=False)) == {
        "customer": ["a", "b"],
        "value": [1.5, None],
        "when": ["2024-01-01T00:00:00.000000", None],
        "note": "demo",
    }


def test_result_frames_and_repr():
    import pandas as pd
    import polars as pl

    t = _table()
    lines = repr(t).splitlines()
    assert lines[0] == "_Table(rows=2, note='demo')"
    assert lines[1].split() == ["customer", "value", "when"]
    assert lines[2].split() == ["a", "1.5", "2024-01-01"]
    assert lines[3].split() == ["b", "∞", "—"]
    assert isinstance(t.to_frame("pandas"), pd.DataFrame)
    assert isinstance(t.to_frame("polars"), pl.DataFrame)
    assert isinstance(t.to_frame_like(pl.DataFrame({"x": [1]})), pl.DataFrame)
    # lazy in, lazy out of the same engine
    assert isinstance(t.to_frame_like(pl.LazyFrame({"x": [1]})), pl.LazyFrame)
    html = t._repr_html_()
    assert ">customer</th>" in html
    assert "demo" in html


def test_json_safe_handles_nested_values():
    assert json_safe(
        {"x": (np.int64(3), np.float32(0.5)), "e": crmkit.periods.Frequency.MONTH}
    ) == {
        "x": [3, 0.5],
        "e": "month",
    }


# --- group codes ----------------------------------------------------------------------------


@settings(max_examples=100, deadline=None)
@given(
    st.one_of(
        st.lists(st.integers(-(2**62), 2**62), min_size=1, max_size=60),
        st.lists(st.integers(0, 50), min_size=1, max_size=60),
        st.lists(st.text(min_size=1, max_size=6), min_size=1, max_size=60),
    )
)
def test_factorize_matches_numpy_unique(values):
    ids = np.asarray(values)
    f = factorize(ids)
    uniques, inverse = np.unique(ids, return_inverse=True)
    np.testing.assert_array_equal(f.uniques, uniques)
    np.testing.assert_array_equal(f.codes, inverse)


@settings(max_examples=100, deadline=None)
@given(
    st.text(alphabet="AB", max_size=2),
    st.lists(st.text(alphabet="0123456789-", min_size=1, max_size=14), min_size=1, max_size=60),
    st.booleans(),
)
def test_factorize_strings_by_packing_or_hashing(prefix, suffixes, big_endian):
    # narrow id formats take the exact packing path, wide ones the hashed path
    ids = np.asarray([prefix + x for x in suffixes])
    if big_endian:
        ids = ids.astype(ids.dtype.newbyteorder(">"))
    f = factorize(ids)
    uniques, inverse = np.unique(ids, return_inverse=True)
    np.testing.assert_array_equal(f.uniques, uniques)
    np.testing.assert_array_equal(f.codes, inverse)


def test_factorize_packs_zero_padded_ids_exactly():
    from crmkit import _groups

    ids = np.array(["C00017", "C00003", "C00017", "C00100"])
    key, _ = _groups._pack_strings(ids)
    assert np.all(np.diff(key[[1, 0, 3]]) > 0)  # integer order is string order
    f = factorize(ids)
    assert f.uniques.tolist() == ["C00003", "C00017", "C00100"]
    assert f.codes.tolist() == [1, 0, 1, 2]


def test_factorize_survives_a_hash_collision(monkeypatch):
    from crmkit import _groups

    monkeypatch.setattr(_groups, "_hash_strings", lambda ids: np.zeros(ids.size, dtype=np.uint64))
    monkeypatch.setattr(_groups, "_pack_strings", lambda _ids: None)
    f = factorize(np.array(["b", "a", "b", "c"]))
    assert f.uniques.tolist() == ["a", "b", "c"]
    assert f.codes.tolist() == [1, 0, 1, 2]


# --- simulator ------------------------------------------------------------------------------


def test_simulator_is_seeded_and_realistic():
    a = simulate_transactions(3_000, "2023-01-01", "2024-07-01", seed=11)
    b = simulate_transactions(3_000, "2023-01-01", "2024-07-01", seed=11)
    c = simulate_transactions(3_000, "2023-01-01", "2024-07-01", seed=12)
    for field in ("customer", "timestamp", "amount"):
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field))
    assert a.n_rows != c.n_rows or not np.array_equal(a.amount, c.amount)
    assert np.all(np.diff(a.timestamp.astype(np.int64)) >= 0)
    assert a.timestamp.min() >= np.datetime64("2023-01-01")
    assert a.timestamp.max() < np.datetime64("2024-07-01")
    revenue = np.sort(np.bincount(factorize(a.customer).codes, weights=a.amount))[::-1]
    assert revenue[: revenue.size // 5].sum() / revenue.sum() > 0.5  # an 80/20 effect
    assert a.n_negative > 0  # refunds exist and are kept


def test_simulator_truth_is_consistent():
    base = simulate_customer_base(2_000, "2023-01-01", "2025-01-01", seed=5, id_kind="str")
    tx = base.transactions
    assert base.customer.dtype.kind == "U"
    assert set(np.unique(tx.customer)) == set(base.customer)
    # every customer's first row is their acquisition
    codes = factorize(tx.customer)
    first = np.full(codes.n_groups, np.datetime64("2100-01-01", "us"))
    np.minimum.at(first, codes.codes, tx.timestamp)
    order = np.argsort(base.customer)
    np.testing.assert_array_equal(first, base.first_purchase[order])
    # customers who dropped out early bought less often than the survivors
    assert 0 < base.alive_at_end.mean() < 1


def test_simulator_rejects_bad_parameters():
    with pytest.raises(InputError, match="'n_customers' parameter"):
        simulate_transactions(0, "2024-01-01", "2024-02-01", seed=1)
    with pytest.raises(InputError, match="after start") as err:
        simulate_transactions(10, "2024-02-01", "2024-01-01", seed=1)
    assert err.value.field == "end"
    with pytest.raises(InputError, match="'refund_rate'"):
        simulate_transactions(10, "2024-01-01", "2024-02-01", seed=1, refund_rate=1.5)


# --- CLI ------------------------------------------------------------------------------------


def test_cli_version_and_demo(capsys, tmp_path):
    assert main(["--version"]) == 0
    assert crmkit.__version__ in capsys.readouterr().out
    page = tmp_path / "demo.html"
    assert (
        main(["demo", "--customers", "500", "--seed", "3", "--no-charts", "--out", str(page)]) == 0
    )
    out = capsys.readouterr().out
    for section in ("Profiling", "Persistency", "Profitability", "Performance", "Prospecting"):
        assert f"\n{section}: " in out, section
    assert "The top 20 % of customers bring" in out
    assert page.exists()


def test_cli_reports_bad_input(capsys):
    assert main(["demo", "--customers", "0"]) == 2
    assert "n_customers" in capsys.readouterr().err


def test_result_mappings_are_read_only():
    from crmkit.segmentation import abc_classes

    abc = abc_classes(np.array([5.0, 1.0, 1.0, 0.5]))
    with pytest.raises(TypeError):
        abc.customers["A"] = 0  # type: ignore[index]
    assert json.loads(json.dumps(abc.to_dict()))["customers"] == dict(abc.customers)
    tx = crmkit.Transactions.from_arrays(
        customer=[1], timestamp=["2024-01-01"], amount=[1.0], extra={"sku": ["a"]}
    )
    with pytest.raises(TypeError):
        tx.extra["sku"] = np.array(["b"])  # type: ignore[index]

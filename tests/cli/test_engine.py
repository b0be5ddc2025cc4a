"""`crmkit rfm` on a Parquet file runs in DuckDB, out of core, and says the same as the library."""

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from crmkit.datasets import simulate_transactions
from crmkit.segmentation import rfm_scores, rfm_summary
from tests.cli.conftest import crmkit_cli, read_out


def test_rfm_of_a_parquet_file_is_aggregated_in_duckdb(tmp_path, in_engine, monkeypatch):
    tx = simulate_transactions(200, "2023-01-01", "2025-01-01", seed=5, id_kind="str")
    path = tmp_path / "orders.parquet"
    pq.write_table(
        pa.table({"customer_id": tx.customer, "order_date": tx.timestamp, "revenue": tx.amount}),
        path,
    )

    def whole_file(*args, **kwargs):
        raise AssertionError("the Parquet file was read whole")

    monkeypatch.setattr("crmkit._cli._readers.read_file", whole_file)
    out = tmp_path / "rfm.parquet"
    ran = crmkit_cli("rfm", str(path), "--as-of", "2025-01-01", "--out", str(out))
    assert ran.code == 0, ran.err
    summary = rfm_summary(tx, unit="day", as_of="2025-01-01")
    scores = rfm_scores(summary)
    got = read_out(out)
    np.testing.assert_array_equal(np.asarray(got["customer"]).astype(str), summary.customer)
    np.testing.assert_allclose(got["recency"], summary.recency)
    np.testing.assert_array_equal(got["frequency"], summary.frequency)
    np.testing.assert_allclose(got["monetary"], summary.monetary, rtol=1e-12)
    np.testing.assert_array_equal(got["monetary_score"], scores.monetary_score)
    assert "guessed the columns customer='customer_id'" in ran.err


def test_bad_rows_of_a_parquet_file_are_one_line(tmp_path, in_engine):
    amounts = np.array([5.0, np.nan, 7.0])
    path = tmp_path / "orders.parquet"
    pq.write_table(
        pa.table(
            {
                "customer": ["a", "b", "c"],
                "timestamp": np.array(["2024-01-01"] * 3, dtype="datetime64[us]"),
                "amount": amounts,
            }
        ),
        path,
    )
    ran = crmkit_cli("rfm", str(path))
    assert ran.code == 2
    assert "amount" in ran.err
    assert "Traceback" not in ran.err

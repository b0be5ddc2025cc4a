"""Every bad-file path: one line on stderr (file, column, line numbers, what is valid), status 2.

The columns are named on the command line so that nothing is guessed: stderr then holds
exactly the error line.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.cli.conftest import crmkit_cli

COLS = ("--customer", "customer_id", "--timestamp", "order_date", "--amount", "revenue")


def _csv(tmp_path: Path, text: str, name: str = "orders.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _refused(*args: str) -> str:
    ran = crmkit_cli(*args)
    assert ran.code == 2, (ran.out, ran.err)
    lines = ran.err.strip().splitlines()
    assert len(lines) == 1, ran.err
    assert lines[0].startswith("crmkit: error: ")
    assert "Traceback" not in ran.err
    return lines[0]


GOOD = "customer_id,order_date,revenue\nann,2024-01-05,40.0\nbob,2024-01-09,15.5\n"


def test_missing_file(tmp_path):
    line = _refused("rfm", str(tmp_path / "nope.csv"), *COLS)
    assert line.endswith("nope.csv: no such file")


def test_empty_file(tmp_path):
    line = _refused("rfm", str(_csv(tmp_path, "")), *COLS)
    assert "orders.csv: the file is empty" in line


def test_header_without_rows(tmp_path):
    line = _refused("rfm", str(_csv(tmp_path, "customer_id,order_date,revenue\n")), *COLS)
    assert "has a header but no order rows" in line


@pytest.mark.parametrize(("sep", "said"), [(";", "--delimiter ';'"), ("\t", "--delimiter tab")])
def test_wrong_delimiter(tmp_path, sep, said):
    text = GOOD.replace(",", sep)
    line = _refused("rfm", str(_csv(tmp_path, text)), *COLS)
    assert "reads as one column" in line
    assert said in line


def test_given_column_missing(tmp_path):
    line = _refused(
        "rfm", str(_csv(tmp_path, GOOD)), "--customer", "customerid", "--amount", "revenue"
    )
    assert "no column 'customerid' (--customer)" in line
    assert "did you mean 'customer_id'?" in line


def test_column_not_guessable(tmp_path):
    text = "who,order_date,revenue\nann,2024-01-05,40.0\n"
    line = _refused("rfm", str(_csv(tmp_path, text)))
    assert "no column found for the customer" in line
    assert "pass --customer COLUMN" in line
    assert "who, order_date, revenue" in line


def test_unparsable_date_names_its_line(tmp_path):
    text = GOOD + "cy,2024-13-45,9.0\n"
    line = _refused("rfm", str(_csv(tmp_path, text)), *COLS)
    assert "orders.csv: column 'order_date' (--timestamp)" in line
    assert "line 4" in line
    assert "'2024-13-45'" in line
    assert "YYYY-MM-DD" in line


def test_iso_basic_dates_point_to_date_format(tmp_path):
    text = "customer_id,order_date,revenue\n4,19970101,29.33\n4,19970118,29.73\n"
    line = _refused("rfm", str(_csv(tmp_path, text)), *COLS)
    assert "lines 2, 3" in line
    assert "--date-format '%Y%m%d'" in line
    ran = crmkit_cli("rfm", str(tmp_path / "orders.csv"), *COLS, "--date-format", "%Y%m%d")
    assert ran.code == 0, ran.err


def test_day_first_dates_need_their_format(tmp_path):
    text = "customer_id,order_date,revenue\nann,05/01/2024,40.0\nbob,13/01/2024,15.5\n"
    line = _refused("rfm", str(_csv(tmp_path, text)), *COLS)
    assert "column 'order_date'" in line
    ran = crmkit_cli("rfm", str(tmp_path / "orders.csv"), *COLS, "--date-format", "%d/%m/%Y")
    assert ran.code == 0, ran.err
    assert "2024-01-14" in ran.out  # as_of: midnight after 13 January


def test_empty_date(tmp_path):
    text = GOOD + "cy,,9.0\n"
    line = _refused("rfm", str(_csv(tmp_path, text)), *COLS)
    assert "must not be null or empty" in line
    assert "line 4" in line


def test_non_numeric_amount(tmp_path):
    text = GOOD + 'cy,2024-02-01,"€40.00"\n'
    line = _refused("rfm", str(_csv(tmp_path, text)), *COLS)
    assert "column 'revenue' (--amount) must hold numbers" in line
    assert "line 4" in line
    assert "'€40.00'" in line
    assert "Strip currency signs" in line


def test_missing_amount(tmp_path):
    text = GOOD + "cy,2024-02-01,\n"
    line = _refused("rfm", str(_csv(tmp_path, text)), *COLS)
    assert "column 'revenue'" in line
    assert "line 4" in line


def test_row_with_too_few_fields(tmp_path):
    text = GOOD + "cy,2024-02-01\n"
    line = _refused("rfm", str(_csv(tmp_path, text)), *COLS)
    assert "line 4 has 2 fields, the header has 3" in line


def test_line_numbers_count_quoted_line_breaks_and_blank_lines(tmp_path):
    text = (
        "customer_id,order_date,revenue,note\n"
        'ann,2024-01-05,40.0,"two\nlines"\n'
        "\n"
        "bob,2024-01-09,15.5,x\n"
        "cy,2024-02-30,9.0,y\n"
    )
    line = _refused("rfm", str(_csv(tmp_path, text)), *COLS)
    assert "line 6" in line  # header 1, ann 2-3, blank 4, bob 5, cy 6


def test_parquet_rows_are_counted_from_one(tmp_path):
    path = tmp_path / "orders.parquet"
    pq.write_table(
        pa.table(
            {
                "customer_id": ["ann", "bob"],
                "order_date": ["2024-01-05", "2024-99-01"],
                "revenue": [40.0, 15.5],
            }
        ),
        path,
    )
    line = _refused("rfm", str(path), *COLS)
    assert "orders.parquet: column 'order_date' (--timestamp)" in line
    assert "row 2 (counting from 1)" in line


def test_not_a_parquet_file(tmp_path):
    path = _csv(tmp_path, GOOD, name="orders.parquet")
    line = _refused("rfm", str(path), *COLS)
    assert "orders.parquet: not a readable Parquet file" in line


def test_ids_with_leading_zeros_stay_text(tmp_path):
    text = "customer_id,order_date,revenue\n007,2024-01-05,40.0\n7,2024-01-09,15.5\n"
    out = tmp_path / "rfm.csv"
    ran = crmkit_cli("rfm", str(_csv(tmp_path, text)), *COLS, "--out", str(out))
    assert ran.code == 0, ran.err
    assert "007" in out.read_text(encoding="utf-8")
    assert ran.out.count("│") > 0  # two customers shown, never merged


def test_out_with_unknown_extension(tmp_path):
    line = _refused("rfm", str(_csv(tmp_path, GOOD)), *COLS, "--out", str(tmp_path / "x.xlsx"))
    assert "must end in .csv, .json or .parquet" in line


def test_bad_parameter_is_one_line(tmp_path):
    line = _refused("rfm", str(_csv(tmp_path, GOOD)), *COLS, "--k", "1")
    assert "The 'k' parameter of rfm_scores must be an int >= 2. Got 1 instead." in line


def test_bad_as_of_is_one_line(tmp_path):
    line = _refused("rfm", str(_csv(tmp_path, GOOD)), *COLS, "--as-of", "yesterday")
    assert "as_of" in line


def test_pipeline_with_unknown_stage(tmp_path):
    text = "deal_id,amount,stage,close_date\n1,1000,negotiation,2025-02-01\n"
    path = _csv(tmp_path, text, name="opps.csv")
    named = (
        "--id",
        "deal_id",
        "--amount",
        "amount",
        "--stage",
        "stage",
        "--close-date",
        "close_date",
    )
    line = _refused("forecast", str(path), *named, "--as-of", "2025-01-01")
    assert "opps.csv: column 'stage' (--stage)" in line
    assert "line 2 (value 'negotiation')" in line
    assert "Known stages" in line


def test_debug_shows_the_traceback(tmp_path):
    ran = crmkit_cli("rfm", str(tmp_path / "nope.csv"), *COLS, "--debug")
    assert ran.code == 2
    assert "Traceback" in ran.err
    assert (
        ran.err.strip().splitlines()[-1] == f"crmkit: error: {tmp_path / 'nope.csv'}: no such file"
    )

"""Test-suite configuration shared by every area."""

from __future__ import annotations

import os
import shutil

import pytest
from hypothesis import settings

# CI explores the same examples on every run, so a red build always reproduces;
# local runs keep hypothesis' random exploration to find new edge cases.
settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
settings.register_profile("dev", deadline=None, print_blob=True)
settings.load_profile("ci" if os.environ.get("CI") else "dev")


@pytest.fixture(scope="session")
def spark():
    """A local PySpark session (2 cores, UTC), or a skip naming what is missing."""
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        pytest.skip("PySpark needs Java (17 or later): no java on PATH and no JAVA_HOME")
    pyspark_sql = pytest.importorskip("pyspark.sql", reason="pyspark is not installed")
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    session = (
        pyspark_sql.SparkSession.builder.master("local[2]")
        .appName("crmkit-tests")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.default.parallelism", "2")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.fixture
def in_engine(monkeypatch):
    """Push every lazy table down, however small (crmkit collects small ones by default)."""
    monkeypatch.setattr("crmkit._engine._table.COLLECT_BELOW", 0)

import importlib.resources

import numpy as np
import pytest


def _lifetimes_csv(name):
    """A CSV shipped in lifetimes' package data, located via importlib.resources."""
    pytest.importorskip("lifetimes")
    resource = importlib.resources.files("lifetimes") / "datasets" / name
    with importlib.resources.as_file(resource) as path:
        return np.genfromtxt(path, delimiter=",", names=True)


@pytest.fixture(scope="session")
def cdnow():
    """The CDNOW sample (2,357 customers, weeks) as used by Fader, Hardie & Lee (2005)."""
    data = _lifetimes_csv("cdnow_customers_summary.csv")
    return {
        "frequency": data["frequency"],
        "recency": data["recency"],
        "T": data["T"],
    }


@pytest.fixture(scope="session")
def cdnow_spend():
    """The CDNOW sample with mean repeat spend (zbar), as in Fader, Hardie & Lee (2005b)."""
    data = _lifetimes_csv("cdnow_customers_summary_with_transactions.csv")
    return {
        "frequency": data["x"],
        "recency": data["t_x"],
        "T": data["T"],
        "monetary_value": data["zbar"],
    }

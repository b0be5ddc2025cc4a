"""One bincount for the library: every count and weighted sum goes through crmkit._reduce.

``np.bincount`` copies any input not flagged writeable, and crmkit hands its arrays out
read-only, so a direct call costs a full copy per call; ``crmkit._reduce.bincount`` passes a
writeable view instead. This guard keeps a direct call from coming back.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

import crmkit
from crmkit._reduce import bincount

SRC = Path(crmkit.__file__).parent
DIRECT = re.compile(r"\bnp\.bincount\(|\bnumpy\.bincount\(|from numpy import[^\n]*\bbincount\b")


def test_np_bincount_is_called_only_in_reduce():
    offenders = {
        str(path.relative_to(SRC)): [
            n for n, line in enumerate(path.read_text().splitlines(), 1) if DIRECT.search(line)
        ]
        for path in sorted(SRC.rglob("*.py"))
        if path.name != "_reduce.py"
    }
    assert {name: lines for name, lines in offenders.items() if lines} == {}
    assert DIRECT.search((SRC / "_reduce.py").read_text())  # the one place, still there


def test_the_guard_sees_a_direct_call():
    assert DIRECT.search("    counts = np.bincount(codes, minlength=3)")
    assert DIRECT.search("from numpy import bincount")
    assert not DIRECT.search("    counts = bincount(codes, minlength=3)")


def test_bincount_reads_read_only_arrays_without_changing_them():
    codes = np.array([0, 2, 2, 1])
    weights = np.array([1.5, 2.0, 0.5, 4.0])
    codes.flags.writeable = weights.flags.writeable = False
    assert bincount(codes, minlength=4).tolist() == [1, 1, 2, 0]
    assert bincount(codes, weights=weights).tolist() == [1.5, 4.0, 2.5]
    assert not codes.flags.writeable
    assert not weights.flags.writeable

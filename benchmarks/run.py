"""Run every benchmark script in this folder, one after another.

Run: ``python benchmarks/run.py [--quick] [names...]`` (names without the ``bench_`` prefix).
Benchmarks are not part of the test suite's pass/fail; each prints crmkit's time beside a
well-known baseline measured in the same run, and the ratio.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller inputs, fewer repeats")
    parser.add_argument("names", nargs="*", help="which benchmarks, e.g. transactions funnel")
    args = parser.parse_args()
    scripts = sorted(HERE.glob("bench_*.py"))
    if args.names:
        scripts = [s for s in scripts if s.stem.removeprefix("bench_") in args.names]
    failed = 0
    for script in scripts:
        print(f"=== {script.stem}", flush=True)
        cmd = [sys.executable, str(script), *(["--quick"] if args.quick else [])]
        failed += subprocess.run(cmd, cwd=HERE, check=False).returncode != 0
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())

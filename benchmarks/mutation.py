"""Mutation testing of the boundary and core modules with mutmut (optional, not part of CI).

Run: ``python benchmarks/mutation.py [--sample N] [--retest] [--jobs N] [modules...]``;
without module names it runs every module of ``MODULES`` one after another, then
prints a table (mutants, killed, survived, timeouts, kill rate). ``--report`` only
prints the table of the runs already made. ``--list`` prints the modules and their
tests. ``--tests-from REF`` judges the same mutants by the tests of git ``REF`` (a
"before" score), kept apart in ``<module>@REF``.

Why a dedicated venv: mutmut 3 copies ``src/`` and ``tests/`` into ``mutants/``
and runs pytest there; in the development venv the editable install of crmkit
would let the tests import the original source instead of the mutated copy, and
every mutant would survive with "no tests". So the script builds
``.venv-mutation/`` (or ``$CRMKIT_MUTATION_VENV``) once, from this
``pyproject.toml``: the core dependencies, the ``dev`` extra and the
``mutation`` extra, *without* crmkit itself; mutmut puts ``mutants/src`` first
on ``sys.path`` and the tests import the mutants.

Each module runs in its own work folder ``.mutation/<module>/`` (or under
``$CRMKIT_MUTATION_WORK``: a copy of
``src/``, ``tests/``, ``conftest.py`` and ``pyproject.toml`` whose
``[tool.mutmut]`` gets the module's ``only_mutate`` and test selection), so a run
mutates one file and runs only the tests that exercise it, and the results of
every module stay side by side. Hypothesis runs the suite's ``mutation`` profile
(``tests/conftest.py``): derandomized, so a mutant is killed or not the same way
each run, and without shrinking, so a killed mutant stops at its first failure.

The surviving mutants that are left, and why, are listed in ``tests/MUTATION.md``.
"""

from __future__ import annotations

import argparse
import io
import json
import math
import os
import random
import re
import shutil
import subprocess
import sys
import tarfile
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = Path(os.environ.get("CRMKIT_MUTATION_VENV", ROOT / ".venv-mutation"))
WORK = Path(os.environ.get("CRMKIT_MUTATION_WORK", ROOT / ".mutation"))

# The tests that exercise each module, and no more: every mutant collects the files of the
# tests it runs, which costs seconds per mutant on a busy machine. The boundary's own test
# files and the bad-input suite cover the boundary; the area suites exercise it too, but
# only through their own functions, and the plot and notebook tests are slow and test
# nothing of these modules.
_BOUNDARY_TESTS = [
    "tests/test_cdnow_raw.py",
    "tests/test_dates.py",
    "tests/test_foundation.py",
    "tests/test_frame_ids.py",
    "tests/test_ids_numbers.py",
    "tests/test_periods.py",
    "tests/test_transactions.py",
    "tests/test_params.py",
    "tests/test_boundary.py",
    "tests/badinput/",
]
_CONCENTRATION_TESTS = [
    "tests/segmentation/test_concentration.py",
    "tests/segmentation/test_numerics.py",
    "tests/segmentation/test_parameters.py",
    "tests/badinput/",
]
_SCORES_TESTS = [
    "tests/segmentation/test_scores.py",
    "tests/segmentation/test_parameters.py",
    "tests/segmentation/test_numerics.py",
    "tests/badinput/",
]
_FORECAST_TESTS = [
    "tests/funnel/test_forecast.py",
    "tests/funnel/test_quotas.py",
    "tests/funnel/test_forecast_exact.py",
    "tests/funnel/test_boundary.py",
    "tests/badinput/",
]

# module name -> (source file, tests that exercise it). The source file is also in the
# test selection: its doctests are tests too (pytest runs with --doctest-modules).
MODULES: dict[str, tuple[str, list[str]]] = {
    "_params": ("src/crmkit/_params.py", _BOUNDARY_TESTS),
    "_values": ("src/crmkit/_values.py", _BOUNDARY_TESTS),
    "_input": ("src/crmkit/_input.py", _BOUNDARY_TESTS),
    "_dates": ("src/crmkit/_dates.py", _BOUNDARY_TESTS),
    "_date_layouts": ("src/crmkit/_date_layouts.py", _BOUNDARY_TESTS),
    "_groups": ("src/crmkit/_groups.py", _BOUNDARY_TESTS),
    "_arrow": ("src/crmkit/_arrow.py", _BOUNDARY_TESTS),
    "_frames": ("src/crmkit/_frames.py", _BOUNDARY_TESTS),
    "_transactions": ("src/crmkit/_transactions.py", _BOUNDARY_TESTS),
    "_concentration": ("src/crmkit/segmentation/_concentration.py", _CONCENTRATION_TESTS),
    "_scores": ("src/crmkit/segmentation/_scores.py", _SCORES_TESTS),
    "_forecast": ("src/crmkit/funnel/_forecast.py", _FORECAST_TESTS),
}

# mutmut's exit codes per mutant (mutmut/models/results.py): what each one counts as.
_STATUS = {
    1: "killed",
    3: "killed",
    -24: "timeout",
    24: "timeout",
    36: "timeout",
    152: "timeout",
    255: "timeout",
    0: "survived",
    2: "interrupted",
    -9: "segfault",
    5: "no tests",
    33: "no tests",
    34: "skipped",
    35: "suspicious",
    37: "caught by type check",
    -11: "segfault",
}


def _python(venv: Path) -> Path:
    return venv / "bin" / "python"


def _requirements() -> list[str]:
    """The core dependencies, the dev extra (its crmkit[...] entries expanded) and mutmut."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    extras: dict[str, list[str]] = project["optional-dependencies"]
    name = project["name"]

    def expand(extra: str) -> list[str]:
        out: list[str] = []
        for req in extras[extra]:
            own = re.fullmatch(rf"{name}\[([\w,\s-]+)\]", req.strip())
            if own:
                for inner in own.group(1).split(","):
                    out += expand(inner.strip())
            else:
                out.append(req)
        return out

    return [*project["dependencies"], *expand("dev"), *expand("mutation")]


def ensure_venv() -> None:
    """Create ``.venv-mutation`` with crmkit's dependencies but not crmkit."""
    marker = VENV / "crmkit-mutation-requirements.json"
    wanted = _requirements()
    if marker.exists() and json.loads(marker.read_text("utf-8")) == wanted:
        return
    print(f"building {VENV} (crmkit's dependencies and mutmut, not crmkit)", flush=True)
    subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    subprocess.run(
        [str(_python(VENV)), "-m", "pip", "install", "-q", *wanted],
        check=True,
    )
    check = "import importlib.util, sys; sys.exit(importlib.util.find_spec('crmkit') is not None)"
    if subprocess.run([str(_python(VENV)), "-c", check], check=False).returncode:
        msg = f"{VENV} can import crmkit: the mutants would not be tested"
        raise SystemExit(msg)
    marker.write_text(json.dumps(wanted), "utf-8")


def _toml_list(items: list[str]) -> str:
    return "[" + ", ".join(json.dumps(i) for i in items) + "]"


def folder(module: str, tests_from: str | None = None) -> Path:
    """The work folder of a module's runs: ``<module>``, or ``<module>@<ref>`` for a ref's tests."""
    if tests_from is None:
        return WORK / module
    ref = re.sub(r"[^\w.-]", "-", tests_from)
    return WORK / f"{module}@{ref}"


def _tests_of(ref: str, work: Path) -> str:
    """Put the ``tests/`` of git *ref* in *work*, keeping this tree's ``tests/conftest.py``.

    The conftest holds the ``mutation`` Hypothesis profile (derandomized, no shrinking): the
    tests of an older ref then pick their examples the same way as this tree's. Returns the
    commit the ref names.
    """
    git = shutil.which("git")
    if git is None:
        msg = "--tests-from needs git on PATH"
        raise SystemExit(msg)
    commit = subprocess.run(
        [git, "rev-parse", "--verify", f"{ref}^{{commit}}"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    archive = subprocess.run(
        [git, "archive", "--format=tar", commit, "tests"],
        cwd=ROOT,
        check=True,
        capture_output=True,
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(work, filter="data")
    shutil.copy2(ROOT / "tests" / "conftest.py", work / "tests" / "conftest.py")
    return commit


def prepare(module: str, tests_from: str | None = None) -> Path:
    """Lay out a fresh work folder with the module's ``[tool.mutmut]``.

    With *tests_from* (a git ref), the tests are that ref's, run against this tree's source:
    the same mutants, judged by an older test suite.
    """
    source, tests = MODULES[module]
    work = folder(module, tests_from)
    for name in ("src", "tests", "mutants"):
        if (work / name).exists():
            shutil.rmtree(work / name)
    work.mkdir(parents=True, exist_ok=True)
    shutil.copytree(ROOT / "src", work / "src", ignore=shutil.ignore_patterns("__pycache__"))
    if tests_from is None:
        shutil.copytree(
            ROOT / "tests", work / "tests", ignore=shutil.ignore_patterns("__pycache__")
        )
    else:
        commit = _tests_of(tests_from, work)
        (work / "tests-from.txt").write_text(f"{tests_from} {commit}\n", "utf-8")
    shutil.copy2(ROOT / "conftest.py", work / "conftest.py")
    selection = [t for t in tests if (work / t).exists()] + [source]
    pyproject = (ROOT / "pyproject.toml").read_text("utf-8")
    pyproject = re.sub(r"(?ms)^\[tool\.mutmut\]\n.*?(?=^\[|\Z)", "", pyproject)
    base = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["tool"].get("mutmut", {})
    lines = ["[tool.mutmut]"]
    for key, value in base.items():
        if key not in {"only_mutate", "pytest_add_cli_args_test_selection"}:
            lines.append(
                f"{key} = {_toml_list(value) if isinstance(value, list) else json.dumps(value)}"
            )
    lines.append(f"only_mutate = {_toml_list([source])}")
    lines.append(f"pytest_add_cli_args_test_selection = {_toml_list(selection)}")
    (work / "pyproject.toml").write_text(pyproject + "\n" + "\n".join(lines) + "\n", "utf-8")
    return work


def _results_path(module: str, tests_from: str | None = None) -> Path:
    return folder(module, tests_from) / "results.json"


def load_results(module: str, tests_from: str | None = None) -> dict[str, int | None] | None:
    """Exit code per mutant of the module's last run (merged over ``--retest`` runs)."""
    path = _results_path(module, tests_from)
    if not path.exists():
        return None
    out: dict[str, int | None] = json.loads(path.read_text("utf-8"))
    return out


def _mutmut(work: Path, names: list[str], *, jobs: int, log: str) -> None:
    # Tests that start a Python subprocess (the lean-import check) import the mutants too.
    # The folder must exist before Python starts, or its import system caches it as absent.
    mutated = work / "mutants" / "src"
    mutated.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "CRMKIT_HYPOTHESIS_PROFILE": "mutation",
        "PYTHONHASHSEED": "0",
        "PYTHONPATH": str(mutated),
    }
    with (work / log).open("w", encoding="utf-8") as out:
        subprocess.run(
            [str(VENV / "bin" / "mutmut"), "run", "--max-children", str(jobs), *names],
            cwd=work,
            env=env,
            check=False,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def _meta_codes(module: str, work: Path) -> dict[str, int | None]:
    source, _ = MODULES[module]
    meta = work / "mutants" / f"{source}.meta"
    codes: dict[str, int | None] = json.loads(meta.read_text("utf-8"))["exit_code_by_key"]
    return codes


# a name no mutant has: mutmut then generates the mutants and collects its stats, tests none
_NO_MUTANT = "crmkit.no-such-mutant"


def run(
    module: str, *, jobs: int, retest: bool, sample: int | None, tests_from: str | None = None
) -> None:
    """Run mutmut on one module in a fresh work folder and record its results.

    With *retest*, only the mutants that survived the last run (or had no test) are tested again
    (against the current tests); the others keep their verdict, since adding
    tests never lets a killed mutant survive. With *sample*, only that many
    mutants, drawn at random (seeded by the module name, so the same ones each
    time the source is the same), are tested. With *tests_from*, the tests are those of that
    git ref (see ``prepare``), and the results are kept apart from this tree's.
    """
    name = module if tests_from is None else folder(module, tests_from).name
    before = load_results(module, tests_from) if retest else None
    if retest and before is None:
        msg = f"--retest {module}: no earlier run to retest (run it once without --retest)"
        raise SystemExit(msg)
    work = prepare(module, tests_from)
    if before is not None:
        _mutmut(work, [_NO_MUTANT], jobs=jobs, log="mutmut-generate.log")
        if set(_meta_codes(module, work)) != set(before):
            msg = f"--retest {module}: the source changed since the last run; run it afresh"
            raise SystemExit(msg)
        names = sorted(k for k, v in before.items() if _status(v) in {"survived", "no tests"})
    elif sample is not None:
        _mutmut(work, [_NO_MUTANT], jobs=jobs, log="mutmut-generate.log")
        names = _sample_of(_meta_codes(module, work), sample)
    else:
        names = []
    if (retest or sample is not None) and not names:
        print(f"=== {name}: no mutant to test", flush=True)
        return
    what = f": testing {len(names)} mutants" if names else ""
    print(f"=== {name}{what}", flush=True)
    _mutmut(work, names, jobs=jobs, log="mutmut.log")
    log = (work / "mutmut.log").read_text("utf-8", errors="replace")
    for failure in ("Failed to run clean test", "failed to collect stats", "Traceback"):
        if failure in log:
            msg = f"{name}: mutmut stopped ({failure!r}); see {work / 'mutmut.log'}"
            raise SystemExit(msg)
    codes = _meta_codes(module, work)
    if before is not None:
        codes = {k: (codes[k] if k in names else v) for k, v in before.items()}
    _results_path(module, tests_from).write_text(
        json.dumps(codes, indent=0, sort_keys=True), "utf-8"
    )


def _sample_of(codes: dict[str, int | None], sample: int | None) -> list[str]:
    """The mutants of a seeded random sample (all of them without *sample*)."""
    names = sorted(codes)
    if sample is None or sample >= len(names):
        return names
    module = names[0].rsplit(".", 1)[0] if names else ""
    return sorted(random.Random(module).sample(names, sample))


def _status(code: int | None) -> str:
    return "not run" if code is None else _STATUS.get(code, f"exit {code}")


def counts(module: str, tests_from: str | None = None) -> dict[str, int] | None:
    """Counts of each status for one module."""
    codes = load_results(module, tests_from)
    if codes is None:
        return None
    out: dict[str, int] = {}
    for code in codes.values():
        status = _status(code)
        out[status] = out.get(status, 0) + 1
    return out


def survivors(module: str, tests_from: str | None = None) -> list[str]:
    """Names of the surviving mutants of one module."""
    codes = load_results(module, tests_from) or {}
    return sorted(name for name, code in codes.items() if _status(code) == "survived")


def report(modules: list[str], tests_from: str | None = None) -> None:
    """Print one line per module: mutants, tested, killed, survived, timeouts, kill rate.

    The kill rate counts timeouts as detected (the tests did not pass in time), as
    mutmut does, over the mutants tested; when only a sample was tested, the 95 %
    interval (Wilson) says how far the rate of all mutants may lie from it. With
    *tests_from*, each module has a second line: the same module judged by that ref's tests.
    """
    head = ["module", "mutants", "tested", "killed", "survived", "timeout", "other", "rate"]
    width = max(16, *(len(folder(m, tests_from).name) + 2 for m in modules))
    print(f"{head[0]:<{width}}" + "".join(f"{h:>9}" for h in head[1:]) + "  95% interval")
    runs = [(m, None) for m in modules]
    if tests_from is not None:
        runs = [run for m in modules for run in ((m, None), (m, tests_from))]
    for module, ref in runs:
        label = folder(module, ref).name
        c = counts(module, ref)
        if c is None:
            print(f"{label:<{width}}  (not run)")
            continue
        total = sum(c.values())
        tested = total - c.get("not run", 0)
        killed, survived, timeout = c.get("killed", 0), c.get("survived", 0), c.get("timeout", 0)
        other = tested - killed - survived - timeout
        rate = (killed + timeout) / tested if tested else 0.0
        interval = ""
        if tested < total and tested:
            low, high = _wilson(killed + timeout, tested)
            interval = f"  {low:.0%}-{high:.0%}"
        cells = [total, tested, killed, survived, timeout, other]
        print(f"{label:<{width}}" + "".join(f"{v:>9}" for v in cells) + f"{rate:>9.1%}{interval}")
        if other:
            detail = {k: v for k, v in c.items() if k not in {"killed", "survived", "timeout"}}
            detail.pop("not run", None)
            print(f"{'':<{width}}other: {detail}")


def _wilson(hits: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson score interval of a proportion (Wilson, 1927, JASA 22(158))."""
    p = hits / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("modules", nargs="*", help=f"which modules, of: {', '.join(MODULES)}")
    parser.add_argument(
        "--retest", action="store_true", help="test again only the mutants the last run left alive"
    )
    parser.add_argument(
        "--sample", type=int, help="test only this many mutants per module, drawn at random"
    )
    parser.add_argument("--jobs", type=int, default=1, help="mutants tested at once (default 1)")
    parser.add_argument("--report", action="store_true", help="only print the table")
    parser.add_argument("--survivors", action="store_true", help="list the surviving mutants")
    parser.add_argument("--show", action="store_true", help="print the diff of each survivor")
    parser.add_argument("--list", action="store_true", help="print the modules and their tests")
    parser.add_argument(
        "--tests-from",
        metavar="REF",
        help="judge this tree's mutants by the tests of git REF (a 'before' score), kept apart",
    )
    args = parser.parse_args()
    unknown = [m for m in args.modules if m not in MODULES]
    if unknown:
        parser.error(f"unknown modules {unknown}; choose from {list(MODULES)}")
    modules = args.modules or list(MODULES)
    if args.list:
        for module in modules:
            source, tests = MODULES[module]
            print(f"{module}: {source} <- {' '.join(tests)}")
        return 0
    if not (args.report or args.survivors or args.show):
        ensure_venv()
        for module in modules:
            run(
                module,
                jobs=args.jobs,
                retest=args.retest,
                sample=args.sample,
                tests_from=args.tests_from,
            )
    report(modules, args.tests_from)
    if args.survivors or args.show:
        for module in modules:
            if counts(module, args.tests_from) is None:
                continue
            print(f"--- {folder(module, args.tests_from).name}", flush=True)
            for name in survivors(module, args.tests_from):
                print(name, flush=True)
                if args.show:
                    show = [str(VENV / "bin" / "mutmut"), "show", name]
                    subprocess.run(show, cwd=folder(module, args.tests_from), check=False)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

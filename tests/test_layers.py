"""The layers of DESIGN.md, read from the source: data flows one way, presentation sits on top.

Oracle: the import statements of every module (parsed, not run). The areas
and the shared modules never import the presentation layer (crmkit.plot,
crmkit.report, the command line, the demo); the one exception is the
documented on-demand hook ``Result.plot()``. The command line computes each
analysis through the report's shared analysis functions, never with its own
copy of the wording or of the calls.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).parents[1] / "src" / "crmkit"
PRESENTATION = ("crmkit.plot", "crmkit.report", "crmkit._cli", "crmkit._demo")
ON_DEMAND = {("_results.py", "crmkit.plot")}  # Result.plot() imports the chart when asked


def _module_name(path: Path) -> str:
    parts = path.relative_to(SRC.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """Every module *path* imports (``from crmkit import plot`` counts as crmkit.plot)."""
    found: set[str] = set()
    package = _module_name(path).rsplit(".", 1)[0] if path.name != "__init__.py" else None
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolve against the package
                anchor = (package or _module_name(path)).split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def _core_modules() -> list[Path]:
    out = []
    for path in sorted(SRC.rglob("*.py")):
        name = _module_name(path)
        if name.startswith(PRESENTATION) or name == "crmkit.__main__":
            continue
        out.append(path)
    return out


@pytest.mark.parametrize("path", _core_modules(), ids=lambda p: str(p.relative_to(SRC)))
def test_the_core_never_imports_presentation(path):
    relative = str(path.relative_to(SRC))
    wrong = sorted(
        name
        for name in _imports(path)
        if name.startswith(PRESENTATION) and (relative, name) not in ON_DEMAND
    )
    assert not wrong, f"{relative} imports the presentation layer: {wrong}"


def test_the_areas_do_not_import_each_others_internals():
    areas = ("segmentation", "lifecycle", "funnel", "roi")
    for area in areas:
        for path in (SRC / area).rglob("*.py"):
            for name in _imports(path):
                for other in areas:
                    if other != area and name.startswith(f"crmkit.{other}._"):
                        pytest.fail(f"{path.relative_to(SRC)} imports {name}")


def _cli_command_modules() -> list[Path]:
    skip = {"__init__.py", "_app.py", "_files.py", "_output.py", "_options.py", "_readers.py"}
    return [p for p in sorted((SRC / "_cli").glob("*.py")) if p.name not in skip]


def test_the_command_line_words_each_analysis_through_the_shared_functions():
    import crmkit.report._analyses as shared

    analyses = {n for n in shared.__all__ if n.endswith("_analysis")}
    used: set[str] = set()
    for path in _cli_command_modules():
        for name in _imports(path):
            if name.startswith("crmkit.report._analyses."):
                used.add(name.rsplit(".", 1)[1])
    # a shared helper (rank_campaigns, ...) reaches the analyses it calls
    for path in (SRC / "report" / "_analyses").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef) and node.name in used:
                used |= {
                    call.func.id
                    for call in ast.walk(node)
                    if isinstance(call, ast.Call) and isinstance(call.func, ast.Name)
                }
    # every analysis the report words, the command line words the same way (trends, campaigns, ...)
    report_only = {"churn_analysis", "migration_analysis", "products_analysis"}
    assert analyses - report_only <= used, sorted(analyses - report_only - used)


@pytest.mark.parametrize("path", _cli_command_modules(), ids=lambda p: p.name)
def test_no_command_writes_its_own_table_of_findings(path):
    """The report's Table and headline helpers stay in crmkit.report: a command only shows."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    calls = {
        node.func.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
    }
    assert not calls & {"Table", "Analysis", "ChartRequest", "Detail"}, path.name

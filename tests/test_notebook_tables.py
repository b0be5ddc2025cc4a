"""Notebook tables: every public result type renders valid, formatted HTML and a readable repr.

The results are harvested from the documentation examples themselves (every result
class has one), so a new result type is covered as soon as it is documented.
"""

from __future__ import annotations

import doctest
import html.parser
import importlib
import math
import pkgutil
import re
from collections.abc import Mapping

import attrs
import numpy as np
import pytest

import crmkit
from crmkit import Result
from crmkit._display import format_column, format_value

_VOID = {"br", "hr", "img", "meta", "link", "input", "col", "wbr"}
_PUBLIC_MODULES = (
    "crmkit",
    "crmkit.segmentation",
    "crmkit.lifecycle",
    "crmkit.funnel",
    "crmkit.roi",
    "crmkit.periods",
    "crmkit.datasets",
)


def _public_result_types() -> set[type]:
    out = set()
    for name in _PUBLIC_MODULES:
        module = importlib.import_module(name)
        for attr in module.__all__:
            obj = getattr(module, attr)
            if isinstance(obj, type) and issubclass(obj, Result) and obj is not Result:
                out.add(obj)
    return out


def _walk(value: object, found: dict[type, Result], depth: int = 0) -> None:
    if isinstance(value, Result):
        found.setdefault(type(value), value)
    if depth < 2 and attrs.has(type(value)):
        for a in attrs.fields(type(value)):
            _walk(getattr(value, a.name), found, depth + 1)


@pytest.fixture(scope="module")
def every_result() -> dict[type, Result]:
    found: dict[type, Result] = {}
    finder = doctest.DocTestFinder()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    for info in pkgutil.walk_packages(crmkit.__path__, "crmkit."):
        if info.name.startswith(("crmkit.plot", "crmkit._cli", "crmkit.__main__")):
            continue
        module = importlib.import_module(info.name)
        for test in finder.find(module):
            runner.run(test, out=lambda _text: None, clear_globs=False)
            for value in list(test.globs.values()):
                _walk(value, found)
            test.globs.clear()
    # examples that print a result without keeping it
    from crmkit.lifecycle import TransitionMatrix, steady_state

    m = TransitionMatrix.from_probabilities([[0.9, 0.1], [0.3, 0.7]], stages=["active", "lapsed"])
    _walk(steady_state(m), found)
    return found


class _StrictParser(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, _attrs):
        if tag not in _VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
        else:
            self.stack.pop()

    def handle_data(self, data):
        self.text.append(data)


def _parse(markup: str) -> _StrictParser:
    parser = _StrictParser()
    parser.feed(markup)
    parser.close()
    return parser


def test_every_public_result_type_has_an_example(every_result):
    missing = {t.__name__ for t in _public_result_types()} - {t.__name__ for t in every_result}
    assert not missing


def test_html_is_valid_and_scoped(every_result):
    for cls, result in every_result.items():
        markup = result._repr_html_()
        parser = _parse(markup)
        assert not parser.errors, (cls.__name__, parser.errors[:3])
        assert not parser.stack, (cls.__name__, parser.stack)
        assert markup.startswith("<div class='crmkit-result'><style>")
        css = markup.split("<style>", 1)[1].split("</style>", 1)[0]
        rules = [r.strip() for r in re.findall(r"([^{}]+)\{", css)]
        for rule in rules:
            for selector in rule.split(","):
                assert selector.strip().startswith(".crmkit-result"), (cls.__name__, selector)
        assert cls.__name__ in "".join(parser.text)


def _float_fields(result: Result):
    for a in attrs.fields(type(result)):
        if a.name.startswith("_"):
            continue
        value = getattr(result, a.name)
        if (
            (isinstance(value, np.ndarray) and value.dtype.kind == "f")
            or isinstance(value, float)
            or (
                isinstance(value, Mapping)
                and any(
                    isinstance(v, float) or (isinstance(v, np.ndarray) and v.dtype.kind == "f")
                    for v in value.values()
                )
            )
            or (isinstance(value, tuple) and value and all(isinstance(v, float) for v in value))
        ):
            yield a.name


def test_every_float_field_says_what_it_means(every_result):
    undeclared = {
        f"{cls.__name__}.{name}"
        for cls, result in every_result.items()
        for name in _float_fields(result)
        if name not in result._column_kinds()
    }
    assert not undeclared


def test_numbers_are_formatted_by_meaning(every_result):
    for cls, result in every_result.items():
        markup = result._repr_html_()
        text = "".join(_parse(markup).text)
        assert not re.search(r"\d\.?\d*e\+\d", text), cls.__name__  # never 1.225e+06
        kinds = result._column_kinds()
        table = result.table()
        for name, column in table.items():
            kind = kinds.get(name)
            if kind is None or column.size == 0 or column.dtype.kind not in "iuf":
                continue
            first = format_column(np.asarray(column), kind)[0]
            assert first in text, (cls.__name__, name, first)
            if kind == "share" and math.isfinite(float(column[0])):
                assert first.endswith("%"), (cls.__name__, name, first)
            if kind == "money" and abs(float(column[0])) >= 1000:
                assert "," in first, (cls.__name__, name, first)


def test_format_value_examples():
    assert format_value(1225000.0, "money") == "1,225,000"
    assert format_value(12.5, "money") == "12.50"
    assert format_value(0.0005106, "share") == "0.051%"
    assert format_value(0.25, "share") == "25.0%"
    assert format_value(0.87312, "probability") == "0.873"
    assert format_value(3726, "count") == "3,726"
    assert format_value(12345, "id") == "12345"
    assert format_value(np.datetime64("2024-03-01T00:00"), "date") == "2024-03-01"
    assert format_value(np.datetime64("2024-03-01T14:30"), "date") == "2024-03-01 14:30"
    assert format_value(float("nan"), "money") == "—"
    assert format_column(np.array([1225000.0, 3.5]), "money") == ["1,225,000", "4"]


def test_long_tables_show_first_and_last_rows(every_result):
    from crmkit.segmentation import rfm_summary

    n = 40
    s = rfm_summary(
        {"customer": np.arange(n), "timestamp": ["2024-01-01"] * n, "amount": np.arange(n) + 1.0},
        unit="day",
    )
    text = "".join(_parse(s._repr_html_()).text)
    assert "⋮ 30 more rows" in text
    assert "40" in text  # the last customer's monetary value (and id 39) are shown
    assert ">39<" in s._repr_html_()
    del every_result


def test_repr_shows_a_few_rows(every_result):
    for cls, result in every_result.items():
        lines = repr(result).splitlines()
        assert lines[0].startswith(f"{cls.__name__}("), cls.__name__
        if result._table and not isinstance(result, crmkit.Transactions):
            shown = lines[1].split()
            assert shown[0] == result._table[0] or shown[0] in result.table(), cls.__name__
            assert len(lines) >= 2


def test_segments_show_their_counts_not_the_rule_table(every_result):
    from crmkit.segmentation import Segments

    seg = every_result[Segments]
    markup = seg._repr_html_()
    text = "".join(_parse(markup).text)
    for name, count in seg.counts.items():
        assert name in text
        assert format_value(count, "count") in text
    # the rule table is summarised in one collapsed line per field, not listed rule by rule
    assert text.count("ScoreRange") == 0


def test_nested_results_and_diagnostics_are_tables(every_result):
    from crmkit.roi import BGNBDFit

    fit = every_result[BGNBDFit]
    markup = fit._repr_html_()
    assert "<details><summary><b>diagnostics</b> · FitDiagnostics</summary>" in markup
    assert "<th>converged</th>" in markup

import inspect

import crmkit.segmentation as seg


def test_every_public_name_is_documented_with_an_example():
    for name in seg.__all__:
        obj = getattr(seg, name)
        if not (inspect.isclass(obj) or inspect.isfunction(obj)):
            continue  # the rule-table constants and the CountBy alias
        doc = inspect.getdoc(obj) or ""
        assert "Examples" in doc, name


def test_functions_take_keyword_only_options():
    for name in seg.__all__:
        obj = getattr(seg, name)
        if not inspect.isfunction(obj):
            continue
        params = list(inspect.signature(obj).parameters.values())
        positional = [p for p in params if p.kind is not p.KEYWORD_ONLY]
        # data arguments only: at most three arrays (current, potential, profit)
        assert len(positional) <= 3, name
        assert all(p.default is p.empty for p in positional), name


def test_all_names_exist_once():
    assert len(set(seg.__all__)) == len(seg.__all__)
    public = {n for n in dir(seg) if not n.startswith("_")}
    assert set(seg.__all__) <= public

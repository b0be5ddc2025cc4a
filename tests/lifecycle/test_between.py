import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmkit.errors import InputError
from crmkit.lifecycle import replay, time_between, time_between_stages
from tests.lifecycle.strategies import event_logs, models

DAY = np.timedelta64(1, "D")


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_vectorised_equals_per_state(data):
    model = data.draw(models())
    customers, events, times = data.draw(event_logs(model, valid_only=data.draw(st.booleans())))
    if customers.size == 0:
        return
    r = replay(model, {"customer": customers, "event": events, "timestamp": times})
    source = data.draw(st.sampled_from(model.stage_names))
    target = data.draw(st.sampled_from(model.stage_names))
    as_of = times.max() + DAY
    t = time_between_stages(r, source=source, target=target, as_of=as_of)
    by_customer = dict(zip(t.customer.tolist(), range(t.customer.size), strict=True))
    for c in r.customer.tolist():
        state = r.customer_state(model, c)
        expected = time_between(state, source, target)
        entered = source in [state.history[0].source if state.history else state.stage] + [
            h.target for h in state.history
        ]
        assert (c in by_customer) == entered
        if not entered:
            continue
        i = by_customer[c]
        if expected is None:
            assert not t.reached[i]
        else:
            assert t.reached[i]
            assert t.days[i] == expected / np.timedelta64(1, "us") / 86_400_000_000
    assert t.n_reached == int(t.reached.sum())


def test_table_input_and_errors():
    entries = {
        "customer": [1, 1, 2, 3],
        "stage": ["lead", "won", "lead", "lead"],
        "timestamp": ["2024-01-01", "2024-01-05", "2024-01-02", "2024-01-03"],
    }
    t = time_between_stages(entries, source="lead", target="won", as_of="2024-01-11")
    assert t.days.tolist() == [4.0, 9.0, 8.0]
    assert t.reached.tolist() == [True, False, False]
    assert np.isnat(t.target_at[1])
    assert np.isnan(t.median_days)  # only one of three is known to convert
    # the convention: entries at or after as_of are excluded and counted, never an error
    early = time_between_stages(entries, source="lead", target="won", as_of="2024-01-04")
    assert early.n_rows_after_as_of == 1
    assert early.reached.tolist() == [False, False, False]
    assert early.days.tolist() == [3.0, 2.0, 1.0]
    # a source stage nobody entered is most likely a typo: refused, naming the stages
    with pytest.raises(InputError, match=r"'source' parameter.*\['lead', 'won'\]") as err:
        time_between_stages(entries, source="nurture", target="won", as_of="2024-01-11")
    assert err.value.field == "source"

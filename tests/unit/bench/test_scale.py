"""The scale run's input and figures: N customers at most, a bounded duplicate window, rates per slice,
CPU per event from the first progress on, and the printed table."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.common import topics
from services.common.codec import Codec
from tests.bench import scale


@settings(max_examples=20, deadline=None)
@given(st.integers(1, 50), st.integers(0, 300), st.integers(0, 2**16))
def test_the_orders_are_for_at_most_n_customers_and_repeat_only_recent_ones(
    customers: int, count: int, seed: int
) -> None:
    messages = list(scale.order_messages(count, customers, seed, duplicates=0.2))
    assert len(messages) == count
    assert len({key for key, _ in messages}) <= customers
    codec = Codec()
    for key, value in messages:
        record = codec.decode(value).record
        assert key == f"{record['shop_id']}:{record['customer_id']}".encode()
    assert messages == list(scale.order_messages(count, customers, seed, duplicates=0.2))


def test_requests_name_the_customers_of_the_orders() -> None:
    codec = Codec()
    for key, value in scale.request_messages(50, 7, seed=1):
        record = codec.decode(value).record
        assert (record["shop_id"], record["customer_id"]) in {scale.customer(k) for k in range(7)}
        assert key == f"{record['shop_id']}:{record['customer_id']}".encode()
        assert record["reward_id"] in scale.REWARDS


def test_redeem_counts_the_ledger_it_reads_besides_the_requests_it_decides() -> None:
    assert set(scale.inputs()) == set(scale.SERVICES)
    assert scale.inputs()["redeem"] == (topics.REDEMPTION_REQUESTS.name, topics.LEDGER.name)


def sample(t: float, done: int, cpu_s: float, rss: int) -> dict[str, object]:
    return {"t": t, "services": {"earn": {"done": done, "cpu_s": cpu_s, "rss_bytes": rss}}}


def test_a_service_slowing_as_its_state_grows_shows_in_its_slices_and_its_cpu_counts_from_its_first_progress() -> None:
    samples = [sample(0, 0, 1.0, 100), sample(5, 0, 3.0, 200), sample(10, 1000, 4.0, 300),
               sample(20, 2000, 5.0, 500), sample(40, 3000, 7.0, 400)]  # fmt: skip
    found = scale.service_figures(samples, "earn", 3)
    assert found["rates_per_slice"] == pytest.approx([200.0, 100.0, 50.0])
    assert found["last_to_first"] == pytest.approx(0.25)
    assert found["cpu_us_per_event"] == pytest.approx(3.0 * 1e6 / 2000)
    assert (found["peak_rss_bytes"], found["end_rss_bytes"], found["done"]) == (500, 400, 3000)


def test_the_table_says_what_ran_and_how_the_restart_went() -> None:
    services = {"earn": {"done": 3000, "first_slice_per_s": 200.0, "last_slice_per_s": 50.0, "last_to_first": 0.25,
                         "cpu_us_per_event": 1500.0, "peak_rss_bytes": 2_000_000,
                         "end_rss_bytes": 1_000_000}}  # fmt: skip
    results = {"customers": 20_000, "orders": 180_000, "redemption_requests": 20_000, "backlog_seconds": 100.0,
               "services": services,
               "state_at_end_of_backlog": {"state_dir": ".local/state", "state_dir_bytes": None,
                                           "changelog_bytes": {"earn.customer-state": 5_000_000}},
               "restarts": [{"customers_in_state": 20_000, "tail_rate_per_s": 1000.0, "lag_before_kill_max": 300,
                             "peak_lag_after_restart": 4000, "restart_to_first_output_s": 3.25,
                             "restart_to_caught_up_s": None, "local_state": True},
                            {"customers_in_state": 20_000, "tail_rate_per_s": 1000.0, "lag_before_kill_max": 300,
                             "peak_lag_after_restart": 9000, "restart_to_first_output_s": 12.5,
                             "restart_to_caught_up_s": 20.0, "local_state": False}]}  # fmt: skip
    text = scale.table(results)
    assert "| earn | 3,000 | 200/s | 50/s | 0.25 | 1,500 | 2 MB | 1 MB |" in text
    assert ".local/state absent; changelog topics: earn.customer-state 5 MB" in text
    assert "restarted with its local state: first output 3.2 s after the restart, caught up after never" in text
    assert "restarted as a fresh instance (its local state deleted): first output 12.5 s after the restart" in text

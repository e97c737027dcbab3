"""The stage cache: one computation per key for every thread, and its bounds."""

from __future__ import annotations

import threading

import pandas as pd

from hccdash.modeling.cache import _MAX_ENTRIES, StageCache


def test_results_beyond_the_bound_go_least_recently_used_first():
    """Beyond _MAX_ENTRIES the least recently used result is dropped (computed again when asked for);
    one read again stays."""
    cache = StageCache(pd.DataFrame({"a": [1.0]}), None)
    computed = []
    compute = lambda key: lambda: computed.append(key) or key  # noqa: E731
    for key in range(_MAX_ENTRIES):
        cache.get(key, compute(key))
    cache.get(0, compute(0))  # read again: now the most recent
    cache.get("new", compute("new"))
    assert len(cache) == _MAX_ENTRIES
    assert computed == [*range(_MAX_ENTRIES), "new"]  # 0 was kept
    cache.get(0, compute(0))
    cache.get(1, compute(1))  # the oldest one was dropped: computed again
    assert computed[-1] == 1 and computed.count(0) == 1


def test_a_key_is_computed_once_when_threads_ask_at_once():
    cache = StageCache(pd.DataFrame({"a": [1.0]}), None)
    started, calls = threading.Event(), []

    def slow():
        calls.append(1)
        started.wait(1)
        return "value"

    threads = [threading.Thread(target=lambda: cache.get("k", slow)) for _ in range(4)]
    for thread in threads:
        thread.start()
    started.set()
    for thread in threads:
        thread.join()
    assert calls == [1] and cache.get("k", slow) == "value"

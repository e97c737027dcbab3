"""The stage cache: one computation per key for every thread, and its bounds."""

from __future__ import annotations

import threading

import pandas as pd

from hccdash.modeling.cache import _LARGE_ENTRIES, _MAX_ENTRIES, StageCache


def test_large_results_are_kept_for_the_last_few_keys_only():
    """Large results (a column set's correlated pairs) are evicted least recently used first beyond
    _LARGE_ENTRIES, without pushing ordinary results out."""
    cache = StageCache(pd.DataFrame({"a": [1.0]}), None)
    computed = []
    compute = lambda key: lambda: computed.append(key) or key  # noqa: E731
    cache.get("small", compute("small"))
    for key in range(_LARGE_ENTRIES + 1):
        cache.get(key, compute(key), large=True)
    assert len(cache) == _LARGE_ENTRIES + 1  # the small one and the last four large ones
    cache.get(_LARGE_ENTRIES, compute(_LARGE_ENTRIES), large=True)
    cache.get("small", compute("small"))
    assert computed == ["small", *range(_LARGE_ENTRIES + 1)]  # both still kept
    cache.get(0, compute(0), large=True)  # the oldest large one was dropped: computed again
    assert computed[-1] == 0 and _LARGE_ENTRIES < _MAX_ENTRIES


def test_a_key_is_computed_once_when_threads_ask_at_once():
    cache = StageCache(pd.DataFrame({"a": [1.0]}), None)
    started, calls = threading.Event(), []

    def slow():
        calls.append(1)
        started.wait(1)
        return "value"

    threads = [threading.Thread(target=lambda: cache.get("k", slow, large=True)) for _ in range(4)]
    for thread in threads:
        thread.start()
    started.set()
    for thread in threads:
        thread.join()
    assert calls == [1] and cache.get("k", slow, large=True) == "value"

"""Stage cache: expensive statistics computed once per upstream setting, reused on every refit.

A :class:`StageCache` belongs to ONE training matrix (``X``, ``y``: the root rows and
every candidate feature). Per-feature statistics (ICC, near-zero variance, univariate
p, mRMR relevance) and pairwise ones (the correlation matrix) are computed once on all
root columns; a step fitted on any subset of columns reads its part. Statistics that
depend on the whole column set (random-forest importance, the LASSO CV path) are keyed
by the columns they were computed on. Fitted sub-models (the clinical model) are keyed by
their settings. So moving the lambda slider only re-reads the cached path, and moving
an upstream slider only recomputes what depends on the columns it changes.

The cache is thread-safe (a lock per key, so two Streamlit sessions never compute the
same stage twice at once); least recently used entries go beyond 256.
"""

from __future__ import annotations

import dataclasses
import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

import pandas as pd

_MAX_ENTRIES = 256


class StageCache:
    """Memo of stage results for the training matrix ``X`` (DataFrame) and target ``y``."""

    def __init__(self, X: pd.DataFrame, y):
        self.X = X
        self.y = y
        self._results: OrderedDict[Hashable, Any] = OrderedDict()
        self._locks: dict[Hashable, threading.Lock] = {}
        self._guard = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        """The result stored under ``key``, computing it with ``compute()`` the first time."""
        with self._guard:
            if key in self._results:
                self._results.move_to_end(key)
                self.hits += 1
                return self._results[key]
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            with self._guard:
                if key in self._results:
                    self.hits += 1
                    return self._results[key]
            value = compute()
            with self._guard:
                self.misses += 1
                self._results[key] = value
                while len(self._results) > _MAX_ENTRIES:
                    old, _ = self._results.popitem(last=False)
                    self._locks.pop(old, None)
            return value

    def root(self, key: Hashable, statistic: Callable[[pd.DataFrame, Any], Any]) -> Any:
        """``statistic(X, y)`` on the root matrix (all columns), computed once."""
        return self.get(("root",) + tuple(key) if isinstance(key, tuple) else ("root", key),
                        lambda: statistic(self.X, self.y))

    def child(self, key: Hashable, make_X: Callable[[], pd.DataFrame]) -> "StageCache":
        """The stage cache of another matrix of the same rows and target (``make_X()``, e.g. the
        ComBat-harmonised features), kept here under ``key``: what is computed on that matrix is
        cached apart from what is computed on this one's, so the key of every stage fitted in the
        child includes ``key`` (the harmonisation settings)."""
        return self.get(("child",) + (tuple(key) if isinstance(key, tuple) else (key,)),
                        lambda: StageCache(make_X(), self.y))

    def __len__(self) -> int:
        return len(self._results)


def settings_key(section) -> str:
    """A hashable, canonical key of a settings dataclass (lists and tuples alike)."""
    return json.dumps(dataclasses.asdict(section), sort_keys=True, default=str)

"""Every parallel step shares one loky pool whose workers outlive a pause."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
from joblib import delayed
from joblib.externals.loky import reusable_executor

from hccdash import stats
from hccdash.workers import IDLE_WORKER_SECONDS, process_pool


def _pids() -> set[int]:
    return set(process_pool(2)(delayed(os.getpid)() for _ in range(8)))


def test_pool_keeps_its_workers_across_steps():
    first = _pids()
    assert reusable_executor._executor_kwargs["timeout"] == IDLE_WORKER_SECONDS
    executor = reusable_executor._executor
    workers = set(executor._processes)  # on a loaded machine one worker may take all 8 tasks
    assert first <= workers and len(workers) == 2
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(60, 5)), columns=list("abcde"))
    y = np.array(list(zip(rng.random(60) < 0.5, rng.exponential(size=60))), dtype=[("event", bool), ("time", float)])
    stats.cv_lasso(X, y, "cox", n_folds=5, n_jobs=2)  # the CV folds run on the same pool ...
    assert reusable_executor._executor is executor
    assert set(executor._processes) == workers and _pids() <= workers  # ... and no worker was replaced
    assert os.getpid() not in workers

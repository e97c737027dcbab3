"""The one pool of worker processes (joblib's loky) that every parallel step of hccdash uses.

joblib keeps a single reusable loky executor per process and replaces it when a call
asks for different settings, so all calls go through :func:`process_pool` with the same
idle timeout. Workers outlive a pause of ``IDLE_WORKER_SECONDS``: in the app, the next
slider move after a coffee break does not wait for two new processes to start and
import numpy and scipy again (about 1.5 s on 2 cores).
"""

from __future__ import annotations

from joblib import Parallel

IDLE_WORKER_SECONDS = 1800


def process_pool(n_jobs: int | None, **kwargs) -> Parallel:
    """``joblib.Parallel`` on loky processes with hccdash's idle timeout (other arguments as joblib)."""
    return Parallel(n_jobs=n_jobs, backend="loky", idle_worker_timeout=IDLE_WORKER_SECONDS, **kwargs)

"""The one pool of worker processes (joblib's loky) that every parallel step of hccdash uses.

joblib keeps a single reusable loky executor per process and replaces it when a call
asks for different settings, so all calls go through :func:`process_pool` with the same
idle timeout. Workers outlive a pause of ``IDLE_WORKER_SECONDS``: in the app, the next
slider move after a coffee break does not wait for two new processes to start and
import numpy and scipy again (about 1.5 s on 2 cores).

Workers end with their parent: loky's own workers outlived a ``kill -9`` of ``extract``,
computing on and then idling for the idle timeout (46 minutes and more were seen). Each worker
starts a thread that looks every ``PARENT_CHECK_SECONDS`` whether its parent process
still lives (``os.getppid()`` changes when it dies) and ends the worker when not. The
thread needs the interpreter lock, so a worker inside one long C call (a pyradiomics
texture matrix) ends when that call returns. (``prctl(PR_SET_PDEATHSIG)`` is not used:
it fires when the parent *thread* that started the worker ends, and Streamlit runs every
script rerun in a new thread.)
"""

from __future__ import annotations

import os
import threading
import time

from joblib import Parallel

IDLE_WORKER_SECONDS = 1800
PARENT_CHECK_SECONDS = 0.5


def end_with_parent(parent: int) -> None:
    """Worker initializer: end this process soon after the process ``parent`` has died."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_CHECK_SECONDS)
        os._exit(1)  # no cleanup: the results would go to a parent that is gone

    threading.Thread(target=watch, name="hccdash-parent-watch", daemon=True).start()


def process_pool(n_jobs: int | None, **kwargs) -> Parallel:
    """``joblib.Parallel`` on loky processes with hccdash's idle timeout, whose workers end with
    this process (other arguments as joblib)."""
    return Parallel(n_jobs=n_jobs, backend="loky", idle_worker_timeout=IDLE_WORKER_SECONDS,
                    initializer=end_with_parent, initargs=(os.getpid(),), **kwargs)

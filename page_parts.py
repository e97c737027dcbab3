"""Pieces several pages draw the same way: a table with its CSV download, and the panel of a
background job (start, follow with a progress bar, cancel, show the result).

A top-level module beside :mod:`app_frame` (not in ``pages/``, where every file becomes a
page; not in ``hccdash/``, which never imports streamlit).
"""

from __future__ import annotations

from collections.abc import Callable, MutableMapping

import pandas as pd
import streamlit as st

from hccdash.display import for_display
from hccdash.jobs import JobStatus, cancel_job, job_status
from hccdash.spreadsheet import csv_text


def table(frame: pd.DataFrame, name: str, key: str, missing: str | None = None, *,
          csv_key: str | None = None) -> None:
    """``frame`` as a table (empty cells shown as ``missing``) with a CSV download button
    (file ``<name>.csv``, widget key ``csv_key``, by default ``<key>_csv``)."""
    st.dataframe(for_display(frame, missing), hide_index=True, width="stretch")
    st.download_button("CSV", csv_text(frame), f"{name}.csv", "text/csv", key=csv_key or f"{key}_csv")


def job_progress(job: JobStatus, text: str, cancel_key: str) -> None:
    """A progress bar for ``job`` and, while it is active, a Cancel button."""
    st.progress(job.fraction, text=text)
    if job.active and st.button("Cancel", key=cancel_key):
        cancel_job(job.job_id)
        st.toast("Cancelling: the job stops after its current step.")


def rerun_when_finished(job: JobStatus, state_key: str) -> None:
    """Rerun the whole page once, when ``job`` goes from active to finished (a poll in a fragment
    then refreshes what the page shows below it)."""
    was_active = st.session_state.get(state_key)
    st.session_state[state_key] = job.active
    if was_active and not job.active:
        st.rerun()


def background_job(jobs: MutableMapping[str, str], key: str, *, prefix: str, label: str, start_label: str,
                   resamples: tuple[int, int, int], start: Callable[[int], str],
                   show: Callable[[JobStatus], None], result_key: str, start_disabled: bool = False) -> None:
    """Start, follow and collect one background job; call it inside an ``st.fragment(run_every=...)``.

    ``jobs`` maps ``key`` (what the job computes for) to its job id. With no job yet: a number
    input for the resamples (``resamples`` = min, max, default) and a start button that calls
    ``start(n)`` for the job id. While it runs: progress and Cancel. Once done with a result
    holding ``result_key``: ``show(status)``. Otherwise (failed, cancelled): the status as an
    error. When finished, "Run again" forgets the job. Widget keys start with ``prefix``.
    """
    job_id = jobs.get(key)
    if job_id is None:
        low, high, default = resamples
        n = st.number_input("Bootstrap resamples", low, high, value=default, key=f"{prefix}_n")
        if st.button(start_label, key=f"{prefix}_start", disabled=start_disabled):
            jobs[key] = start(int(n))
            st.rerun(scope="fragment")
        return
    status = job_status(job_id)
    if status.active:
        job_progress(status, f"{label}: {status.message or status.status}", f"{prefix}_cancel")
        return
    if status.status == "done" and status.result and result_key in status.result:
        show(status)
    else:
        st.error(f"{label} job {status.status}: {status.message or ''}")
    if st.button("Run again", key=f"{prefix}_again"):
        jobs.pop(key)
        st.rerun(scope="fragment")

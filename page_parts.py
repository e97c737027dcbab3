"""Pieces several pages draw the same way: a table with its CSV download, a chart from a Vega-Lite
spec cached for every session with its PNG / SVG downloads, the style that marks results being
recomputed, and the panel of a background job (start, follow with a progress bar, cancel, show
the result).

Every session of the server runs in one Python process, so what one rerun computes costs every
other session time: a chart's spec (Altair construction and conversion, tens of milliseconds
each) is built once per distinct data for all sessions (:func:`chart_spec`), and download files
only when their button is clicked.

A top-level module beside :mod:`app_frame` (not in ``pages/``, where every file becomes a
page; not in ``hccdash/``, which never imports streamlit).
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Hashable, MutableMapping
from functools import partial
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from hccdash.calculator.standalone import check_supported, standalone_html
from hccdash.cohort import list_cohorts
from hccdash.cohort.load import load_cohort, units_and_labels
from hccdash.cohort.table1 import table1
from hccdash.cohort.table1_export import table1_docx, table1_publication
from hccdash.charts.render import SCREEN, FigureSize, chart_png, chart_svg, vega_spec
from hccdash.display import as_text, for_display
from hccdash.extraction.status import format_duration
from hccdash.jobs import JobStatus, cancel_job, job_status, list_jobs, resume_stale_jobs
from hccdash.registry import registry
from hccdash.registry.json_model import JsonModel
from hccdash.session import adopt_shared, open_case, publish_shared
from hccdash.spreadsheet import csv_text
from hccdash.warning_glossary import glossary_table, group_warnings

MAX_MESSAGES_SHOWN = 8  # per warning box; the rest counted

# Streamlit sets data-stale="true" on an element while a run that will redraw it is under way (every
# element for a full rerun, a fragment's own for a fragment rerun) and dims it only after a delay.
# Marked at once here, and results say "updating".
STALE_STYLE = """<style>
.stMain [data-testid="stElementContainer"][data-stale="true"] { opacity: 0.35 !important; transition: none !important; }
.stMain [data-testid="stElementContainer"][data-stale="true"]:has([data-testid="stVegaLiteChart"],
  [data-testid="stDataFrame"], [data-testid="stMetric"], [data-testid="stCode"])::after {
  content: "updating…"; position: absolute; top: 0; right: 0; padding: 0 0.4rem; font-size: 0.8rem;
  color: #7a5a00; background: #fff3cd; border-radius: 0.25rem; }
</style>"""


def pick_cohort(key: str, container: Any = st) -> str:
    """The stored cohort chosen in a selectbox keyed ``key`` (the one picked on another page first);
    the page stops with a pointer to Cohort import when none is stored."""
    cohorts = list_cohorts()
    if not cohorts:
        st.info("No cohort yet: import one on **Cohort import** first.")
        st.stop()
    adopt_shared(st.session_state, key, cohorts)
    cohort = container.selectbox("Cohort", cohorts, key=key)
    publish_shared(st.session_state, key)
    return cohort


def table(frame: pd.DataFrame, name: str, key: str, missing: str | None = None, *,
          csv_key: str | None = None) -> None:
    """``frame`` as a table (empty cells shown as ``missing``) with a CSV download button
    (file ``<name>.csv``, widget key ``csv_key``, by default ``<key>_csv``)."""
    st.dataframe(for_display(frame, missing), hide_index=True, width="stretch")
    st.download_button("CSV", partial(csv_text, frame), f"{name}.csv", "text/csv", key=csv_key or f"{key}_csv",
                       on_click="ignore")  # the file is made when clicked


def warning_boxes(messages: list[str]) -> None:
    """One warning box per kind of message (:func:`~hccdash.warning_glossary.group_warnings`): what it
    means, what to do, and its messages (the first :data:`MAX_MESSAGES_SHOWN`, the others counted)."""
    for group in group_warnings(messages):
        kind, shown = group.kind, group.messages[:MAX_MESSAGES_SHOWN]
        more = len(group.messages) - len(shown)
        lines = [f"- {as_text(m)}" for m in shown] + ([f"- and {more} more of this kind"] if more else [])
        count = f" ({len(group.messages)})" if len(group.messages) > 1 else ""
        st.warning(f"**{kind.title}**{count}. {kind.meaning} **What to do:** {kind.action}\n\n" + "\n".join(lines))


def warnings_glossary(key: str) -> None:
    """The glossary of every kind of warning, in an expander (``key``: its CSV download)."""
    with st.expander("Warnings glossary: every warning, what it means, what to do"):
        table(glossary_table(), "warnings_glossary", key)


def mark_stale_results() -> None:
    """Style the app so that results a running rerun will redraw are marked as updating (app.py, every run)."""
    st.html(STALE_STYLE)


def chart_spec(function: Callable[..., alt.TopLevelMixin], *args: Any) -> dict[str, Any]:
    """:func:`~hccdash.charts.render.vega_spec` of ``function(*args)`` (a chart function of
    :mod:`hccdash.charts`), built once per distinct arguments for all sessions (data frames are
    hashed by content)."""
    return _cached_spec(f"{function.__module__}.{function.__qualname__}", function, *args)


@st.cache_data(max_entries=512, show_spinner=False)
def _cached_spec(name: str, _function: Callable[..., alt.TopLevelMixin], *args: Any) -> dict[str, Any]:
    return vega_spec(_function(*args))


_specs_of: dict[tuple[int, Hashable], dict[str, Any]] = {}
_watched: set[int] = set()  # owners whose specs are forgotten when they are gone
_specs_lock = threading.Lock()


def spec_of(owner: object, name: Hashable, build: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """``build()`` (a chart spec drawn from ``owner``, a fitted object that sessions share and
    nobody changes, e.g. a LASSO cross-validation), built once per name while ``owner`` lives:
    no hashing of its data, as :func:`chart_spec` does on every call. Treat the spec as read-only."""
    key = (id(owner), name)
    with _specs_lock:
        found = _specs_of.get(key)
    if found is None:
        found = build()
        with _specs_lock:
            if key[0] not in _watched:
                _watched.add(key[0])
                weakref.finalize(owner, _forget_specs, key[0])
            found = _specs_of.setdefault(key, found)
    return found


def _forget_specs(owner_id: int) -> None:
    with _specs_lock:
        _watched.discard(owner_id)
        for key in [key for key in _specs_of if key[0] == owner_id]:
            del _specs_of[key]


DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@st.cache_data(show_spinner=False, max_entries=16)
def _table1(name: str, fingerprint: str) -> pd.DataFrame:
    return table1_publication(table1(load_cohort(name)), *units_and_labels(name))


def table1_view(name: str, fingerprint: str, key: str, height: int | None = None) -> None:
    """Table 1 of cohort ``name`` as journals print it (labels, units, overall column; cached per
    cohort fingerprint) with its CSV and Word (.docx, made when clicked) downloads."""
    baseline = _table1(name, fingerprint)
    st.dataframe(baseline, hide_index=True, width="stretch", height=height or "auto")
    csv_column, word_column = st.columns(2)
    csv_column.download_button("Download Table 1 (CSV)", csv_text(baseline), f"table1_{name}.csv", "text/csv",
                               key=f"{key}_csv")
    word_column.download_button("Download Table 1 (Word)", partial(table1_docx, baseline, f"Table 1. {name}"),
                                f"table1_{name}.docx", DOCX_TYPE, key=f"{key}_docx", on_click="ignore")


def figure_export_controls() -> None:
    """The sidebar's choice of the size and resolution of exported figures (app.py, every run): off,
    each PNG / SVG is the chart as on screen (PNG at double resolution); on, every figure is laid
    out on the chosen inches and drawn at the chosen DPI (:class:`~hccdash.charts.render.FigureSize`)."""
    default = FigureSize()
    with st.sidebar.expander("Figure export (PNG / SVG)"):
        st.toggle("Print size", key="export_print_size",
                  help="Lay every exported figure out on this size (axes, titles and legends included) at this "
                       "resolution. Journals: one column 3.35 in (85 mm), two columns 7 in (174 mm); 300 DPI, line "
                       "art 600.")
        st.number_input("Width (inches)", 1.0, 30.0, default.width_in, 0.05, key="export_width_in")
        st.number_input("Height (inches)", 1.0, 30.0, default.height_in, 0.05, key="export_height_in")
        st.number_input("Resolution (DPI)", 72, 1200, default.dpi, 50, key="export_dpi")


def export_size() -> FigureSize | None:
    """The chosen print size of exported figures (:func:`figure_export_controls`), None for the screen size."""
    state = st.session_state
    if not state.get("export_print_size"):
        return None
    default = FigureSize()
    return FigureSize(float(state.get("export_width_in", default.width_in)),
                      float(state.get("export_height_in", default.height_in)), int(state.get("export_dpi", default.dpi)))


def figure_downloads(figure: dict[str, Any] | alt.TopLevelMixin, name: str, key: str, container: Any = st) -> list:
    """PNG and SVG downloads of a chart (an Altair chart or a Vega-Lite spec with its data) at the
    chosen export size (:func:`export_size`), each file made when clicked; the columns they sit in
    (one more for the caller's own button)."""
    size = export_size()
    columns = container.columns(3)
    suffix = "" if size is None else f" ({size.width_in:g} x {size.height_in:g} in, {size.dpi} DPI)"
    columns[0].download_button(f"PNG{suffix}", partial(chart_png, figure, size=size), f"{name}.png", "image/png",
                               key=f"{key}_png", on_click="ignore")
    columns[1].download_button("SVG", partial(chart_svg, figure, size=size), f"{name}.svg", "image/svg+xml",
                               key=f"{key}_svg", on_click="ignore")
    return columns


def chart(spec: dict[str, Any], name: str, key: str, data: pd.DataFrame | None = None) -> None:
    """A chart (a Vega-Lite spec with its data) with PNG and SVG downloads (:func:`figure_downloads`),
    and ``data`` as CSV when given; each file made when clicked."""
    st.vega_lite_chart(spec, **SCREEN)
    columns = figure_downloads(spec, name, key)
    if data is not None:
        columns[2].download_button("Data (CSV)", partial(csv_text, data), f"{name}.csv", "text/csv",
                                   key=f"{key}_csv", on_click="ignore")


@st.cache_data(show_spinner=False, max_entries=32)
def model_spec(name: str, sha256: str) -> dict[str, Any]:
    """The verified model file of registered model ``name`` (cached per artifact hash)."""
    return registry.load(name).spec


def standalone_download(model: JsonModel, key: str) -> None:
    """The download of ``model``'s standalone calculator (one offline HTML file, made when clicked),
    or a caption saying why it cannot have one."""
    try:
        check_supported(model)
    except ValueError as exc:
        st.caption(as_text(exc))
        return
    st.download_button("Standalone calculator (HTML)", partial(standalone_html, model), f"{model.name}_calculator.html",
                       "text/html", key=key, on_click="ignore",
                       help="One HTML file that computes this model's predictions in any browser, offline, with the "
                            "app's numbers. It holds the model (coefficients, baseline, means, levels, labels, units), "
                            "no patient's data.")


NO_DEEP = "none"


def deep_feature_choice(cohort: str, key: str):
    """A select box of the cohort's deep feature sets (``hccdash.deep``; "none" first): the chosen
    :class:`~hccdash.deep.feature_sets.DeepFeatureSet`, or None."""
    from hccdash.deep.feature_sets import cohort_deep_sets

    sets = {deep.title: deep for deep in cohort_deep_sets(cohort) if deep.n_done}
    title = st.selectbox("Deep features (their own block: PCA + LASSO into a DL score)", [NO_DEEP, *sets], key=key,
                         disabled=not sets,
                         help="Extract deep features on Feature extraction (a registered ONNX network) to offer them")
    return sets.get(title)


def poll_seconds(jobs: MutableMapping[str, str], key: str, every: float = 2.0) -> float | None:
    """How often a fragment showing the job of ``key`` should rerun: ``every`` seconds while it is
    active, else never (an idle panel costs every session nothing; starting a job reruns the page)."""
    job_id = jobs.get(key)
    return every if job_id is not None and job_status(job_id).active else None


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


def failures_table(failures: pd.DataFrame, cohort: str, key: str) -> None:
    """The failed cases of an extraction (``case_key`` left out); clicking a row opens that patient, phase and
    reader in the Case viewer."""
    st.caption("Click a row to open that case in the Case viewer.")
    picked = st.dataframe(failures.drop(columns="case_key"), hide_index=True, width="stretch", on_select="rerun",
                          selection_mode="single-row", key=key)
    if picked.selection.rows:
        failed = failures.iloc[picked.selection.rows[0]]
        open_case(st.session_state, cohort, failed["patient_id"], failed["phase"], failed["reader"])
        st.switch_page("pages/7_case_viewer.py")


def extraction_job_panel(cohort: str, kind: str, key: str, what: str = "extraction") -> None:
    """The latest job of ``kind`` (``extraction``, ``deep_extraction``) of ``cohort``: progress, Cancel, the
    counts and rate; the page reruns once when it ends. Call it in a fragment polling every few seconds."""
    latest = list_jobs(kind=kind, cohort=cohort)
    if not latest:
        st.caption(f"No {what} job yet for this cohort.")
        return
    job = latest[0]
    if job.active and resume_stale_jobs():
        st.toast("The job's process had stopped: resumed it.")
    job_progress(job, f"Job `{job.job_id}`: **{job.status}**", f"{key}_cancel")
    cols = st.columns(5)
    cols[0].metric("Done", job.n_done)
    cols[1].metric("Failed", job.n_failed)
    cols[2].metric("Remaining", job.n_remaining)
    cols[3].metric("Cases / min", "–" if job.per_minute is None else f"{job.per_minute:.1f}")
    cols[4].metric("ETA", format_duration(job.eta_seconds))
    if job.message:
        st.caption(as_text(job.message))
    rerun_when_finished(job, f"{key}_job_active")  # refresh counts, failures and the matrix below


def background_job(jobs: MutableMapping[str, str], key: str, *, prefix: str, label: str, start_label: str,
                   resamples: tuple[int, int, int], start: Callable[[int], str],
                   show: Callable[[JobStatus], None], result_key: str, start_disabled: bool = False) -> None:
    """Start, follow and collect one background job; call it inside an
    ``st.fragment(run_every=poll_seconds(jobs, key))``.

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
            st.rerun()  # the page, so that the panel's fragment polls the job
        return
    status = job_status(job_id)
    if status.active:
        job_progress(status, f"{label}: {as_text(status.message or status.status)}", f"{prefix}_cancel")
        return
    if status.status == "done" and status.result and result_key in status.result:
        show(status)
    else:
        st.error(f"{label} job {status.status}: {as_text(status.message or '')}")
    if st.button("Run again", key=f"{prefix}_again"):
        jobs.pop(key)
        st.rerun(scope="fragment")

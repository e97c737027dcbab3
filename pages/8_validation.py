"""Validation: a registered model on a stored cohort (nothing refit), then model updating."""

from __future__ import annotations

import streamlit as st

from app_frame import in_app_frame
from hccdash import jobs
from hccdash.charts import evaluation as charts
from hccdash.charts.validation import lp_distribution_chart
from hccdash.cohort import list_cohorts, load_cohort
from hccdash.display import as_text, for_display
from hccdash.extraction.features_io import imported_sources
from hccdash.extraction.params import parse_numbers
from hccdash.registry import registry
from hccdash.spreadsheet import csv_text
from hccdash.validation.features import start_pending_extraction
from hccdash.validation.inputs import EXTRACTED, SET_LABELS, SETS, cohort_variables, plan_validation
from hccdash.validation.mapping import propose_mapping
from hccdash.validation.report import run_validation
from hccdash.validation.updating import METHODS, default_name, fit_options, save_update, update_and_compare
from page_parts import rerun_when_finished

in_app_frame()

POLL_SECONDS = 2.0

st.title("Validation")
st.caption("A registered model (saved here or imported from another site's JSON file) applied unchanged to a stored "
           "cohort: nothing is refit. Then, if needed, updated on it: recalibration in the large, logistic "
           "recalibration or refitting, each saved as a new registry model with its lineage.")

models = registry.list_models()
cohorts = list_cohorts()
if models.empty or not cohorts:
    st.info("Validation needs a registered model (**Model building** or **Model registry**) and a stored cohort "
            "(**Cohort import**).")
    st.stop()

left, middle, right = st.columns(3)
name = left.selectbox("Model", models["name"], key="val_model")
current = st.session_state.get("cohort")
cohort = middle.selectbox("Cohort", cohorts, index=cohorts.index(current) if current in cohorts else 0, key="val_cohort")
subset = right.selectbox("Patients", SETS, format_func=SET_LABELS.get, key="val_set")
try:
    record = registry.get(name)
    model = registry.json_model(name)
except (registry.ArtifactError, ValueError) as exc:
    st.error(as_text(exc))
    st.stop()

source = None
if model.rad_score_name:
    options = [EXTRACTED, *imported_sources(cohort)]
    chosen = st.selectbox("Radiomic features", options, key="val_source",
                          help="The model's own extraction settings (what is cached is reused), or a feature table "
                               "imported for this cohort")
    source = None if chosen == EXTRACTED else chosen
horizons = None
if model.family == "cox":
    text = st.text_input("Horizons (months)", ", ".join(f"{h:g}" for h in model.horizons), key="val_horizons")
    try:
        horizons = parse_numbers(text, "Horizons")
    except ValueError as exc:
        st.error(as_text(exc))
        st.stop()

st.subheader("Inputs")
st.caption("Each clinical input of the model and the cohort variable feeding it. Change the variable, its unit (known "
           "conversions are applied: AFP ug/L = ng/mL, IU/mL x 1.21; bilirubin mg/dL x 17.1 = umol/L; albumin g/dL "
           "x 10 = g/L; ...) or map levels as `cohort=model | ...`.")
variables = cohort_variables(load_cohort(cohort, predictors_only=False))
proposed = propose_mapping(model, variables)
edited = st.data_editor(
    proposed.table(), hide_index=True, width="stretch", key=f"val_mapping_{name}_{cohort}",
    disabled=["input", "kind", "model_unit", "factor", "note"],
    column_config={"column": st.column_config.SelectboxColumn("column", options=["", *[v.name for v in variables]]),
                   "factor": st.column_config.NumberColumn("factor", format="%.6g")},
)
try:
    mapping = proposed.with_table(edited, variables)
    plan = plan_validation(model, cohort, subset, mapping=mapping, source=source, horizons=horizons)
except ValueError as exc:
    st.error(as_text(f"Cannot validate: {exc}"))
    st.stop()
st.download_button("Download mapping (JSON, for validate --mapping)", mapping.to_json(), "mapping.json",
                   "application/json", key="val_mapping_download")
st.caption(f"{len(plan.outcome)} patients, radiomic features: {as_text(plan.features.description())}")


@st.fragment(run_every=POLL_SECONDS)
def extraction_panel(cohort: str) -> None:
    """The cohort's latest extraction job, re-read every few seconds; a rerun when it ends."""
    latest = jobs.list_jobs(kind="extraction", cohort=cohort)
    if not latest:
        return
    job = latest[0]
    st.progress(job.fraction, text=f"Extraction job {job.job_id}: {job.status} ({job.n_done} done, "
                                   f"{job.n_failed} failed, {job.n_remaining} to go)")
    rerun_when_finished(job, "val_job_active")


pending = plan.features.pending
if len(pending):
    active = [j for j in jobs.list_jobs(kind="extraction", cohort=cohort) if j.active]
    st.warning(f"{len(pending)} case(s) of these patients are not extracted with the model's settings yet. Extraction "
               "runs in the background (cached cases are reused); validation starts when it is done.")
    if st.button("Extract with the model's settings", disabled=bool(active), key="val_extract"):
        try:
            st.toast(f"Started {start_pending_extraction(plan.features)}")
        except ValueError as exc:
            st.error(as_text(exc))
    extraction_panel(cohort)
    st.stop()

key = (name, record.sha256, cohort, subset, source, mapping.to_json(), tuple(plan.horizons))
if st.button("Validate", type="primary", key="val_run"):
    with st.spinner("Validating (bootstrap CI, calibration, risk groups, decision curves, case mix) ..."):
        try:
            st.session_state["val_result"] = (key, *run_validation(plan, record.sha256))
        except ValueError as exc:
            st.error(as_text(exc))
result = st.session_state.get("val_result")
if not result or result[0] != key:
    st.stop()
_, data, report = result

summary = report.summary
st.subheader("Results")
st.caption(as_text(f"{name} on {plan.where}: {summary['n']} patients, {summary['events']} events, "
                           f"{summary['excluded']} left out for a missing input."))
st.dataframe(report.metrics, hide_index=True, width="stretch", key="val_metrics",
             column_config={c: st.column_config.NumberColumn(c, format="%.4f") for c in ("value", "lower", "upper")})
left, right = st.columns(2)
left.download_button("validation.json", report.to_json(), "validation.json", "application/json", key="val_json")
right.download_button("Metrics (CSV)", csv_text(report.metrics), "metrics.csv", "text/csv", key="val_metrics_csv")

calibration_tab, groups_tab, decision_tab, mix_tab, rows_tab = st.tabs(
    ["Calibration", "Risk groups", "Decision curves", "Case mix", "Patients"])
survival = model.family == "cox"
with calibration_tab:
    table = report.tables["calibration"]
    if survival:
        st.dataframe(report.tables["horizons"], hide_index=True, width="stretch")
        columns = st.columns(len(plan.horizons))
        for column, h in zip(columns, plan.horizons):
            column.altair_chart(charts.calibration_chart(table[table["horizon"] == h], f"{h:g} months", True))
    else:
        st.dataframe(for_display(report.tables["hosmer_lemeshow"]), hide_index=True, width="stretch")
        st.altair_chart(charts.calibration_chart(table, "Early recurrence", False))
    st.download_button("Calibration (CSV)", csv_text(table), "calibration.csv", "text/csv", key="val_calibration_csv")
with groups_tab:
    counts = report.tables["risk_group_counts"]
    st.dataframe(for_display(counts), hide_index=True, width="stretch")
    if "km_curves" in report.tables:
        st.altair_chart(charts.km_chart(report.tables["km_curves"], report.tables["at_risk"],
                                        "The model's saved risk groups on these patients", counts["logrank_p"].iloc[0]))
with decision_tab:
    curves = report.tables["decision_curves"]
    if survival:
        for h in plan.horizons:
            st.altair_chart(charts.decision_chart(curves[curves["horizon"] == h], f"Decision curve at {h:g} months"))
    else:
        st.altair_chart(charts.decision_chart(curves, "Decision curve"))
with mix_tab:
    st.caption(as_text(f"Development patients: {summary['case_mix']['development']}. Membership model "
                               "(is a validation patient ~ linear predictor, Debray et al. 2015): its C is in the "
                               "metrics (membership_c); near 0.5 the case mix is alike, near 1 the cohorts differ."))
    st.dataframe(report.tables["case_mix"], hide_index=True, width="stretch")
    st.altair_chart(lp_distribution_chart(report.tables["lp_values"]))
with rows_tab:
    st.dataframe(report.tables["predictions"], hide_index=True, width="stretch")
    if len(report.tables["excluded"]):
        st.caption("Left out (missing input)")
        st.dataframe(report.tables["excluded"], hide_index=True, width="stretch")
    if len(report.tables["warnings"]):
        st.caption("Warnings (predicted anyway)")
        st.dataframe(report.tables["warnings"], hide_index=True, width="stretch")

st.subheader("Update the model on these patients")
st.caption("Steyerberg's order: recalibration in the large keeps the coefficients and re-estimates the baseline "
           "(Cox) or intercept (logistic); logistic recalibration also rescales the linear predictor; refitting "
           "re-estimates every coefficient. The update is a new registry model; the original is unchanged.")
method = st.radio("Method", list(METHODS), format_func=METHODS.get, key="val_update_method")
new_name = st.text_input("Name of the updated model", default_name(name, method, cohort), key=f"val_update_name_{method}")
notes = st.text_input("Notes", key="val_update_notes")
if st.button("Update and save", key="val_update_save"):
    try:
        spec, comparison = update_and_compare(data, method, name=new_name, notes=notes, parent_sha256=record.sha256,
                                              **fit_options(record), original=report)
        saved = save_update(spec, notes)
        st.session_state["val_update"] = (key, saved.name, comparison)
    except ValueError as exc:
        st.error(as_text(f"Not saved: {exc}"))
done = st.session_state.get("val_update")
if done and done[0] == key:
    _, saved_name, comparison = done
    st.success(as_text(f"Saved {saved_name}: use it on Patient calculator, predict or Model registry (JSON "
                               "export). The updated model's figures below are apparent (fitted on these patients)."))
    st.dataframe(comparison, hide_index=True, width="stretch", key="val_comparison")
    st.download_button("Comparison (CSV)", csv_text(comparison), "comparison.csv", "text/csv", key="val_comparison_csv")

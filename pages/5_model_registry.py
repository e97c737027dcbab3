"""Model registry: list, compare, rename, delete, export and import saved models."""

from __future__ import annotations

from functools import partial

import streamlit as st

from app_frame import in_app_frame
from hccdash.cohort import list_cohorts
from hccdash.display import as_text, table_as_text
from hccdash.extraction.features_io import imported_sources
from hccdash.registry import details, registry
from hccdash.registry.json_model import JsonModel
from hccdash.spreadsheet import csv_text
from hccdash.validation.comparison import compare_pair, settings_differences
from hccdash.validation.inputs import EXTRACTED, SET_LABELS, SETS
from page_parts import model_spec, standalone_download
from page_parts import table as shown_table

in_app_frame()

st.title("Model registry")
st.caption(
    "Models saved from **Model building** (or `python -m hccdash fit --save-as NAME`). Each artifact's "
    "SHA-256 (and a saved pipeline's signature) is checked before it is loaded; models travel between sites as "
    "pickle-free JSON files."
)

done = st.session_state.pop("registry_done", None)  # what the last action did, said after its rerun
if done:
    st.success(done)



def same_patients_panel(chosen: list[str]) -> None:
    """Two of the chosen models on one cohort's patients: discrimination with CI and optimism-corrected,
    the difference test, NRI / IDI of the first over the second."""
    st.subheader("Two models on the same patients")
    st.caption("Both models applied unchanged to one stored cohort's patients (as on **Validation**; those either "
               "model cannot predict are left out): C-index (Cox, bootstrap CI) or AUC (DeLong CI), the optimism-"
               "corrected value from Evaluation's optimism run of the same settings, the test of their difference "
               "(correlated C-indices: survival::concordance's infinitesimal jackknife; AUCs: paired DeLong) and "
               "the category-free NRI / IDI of model A over model B (Hmisc::improveProb; Cox: risk by a horizon, "
               "patients censored before it left out).")
    cols = st.columns(4)
    first = cols[0].selectbox("Model A (new)", chosen, key="registry_pair_a")
    second = cols[1].selectbox("Model B (reference)", [n for n in chosen if n != first], key="registry_pair_b")
    cohorts = list_cohorts()
    if not cohorts:
        st.info("No stored cohort to compare the models on.")
        return
    home = registry.get(first).cohort
    cohort = cols[2].selectbox("Cohort", cohorts, index=cohorts.index(home) if home in cohorts else 0,
                               key="registry_pair_cohort")
    subset = cols[3].selectbox("Patients", SETS, index=SETS.index("validation"), format_func=SET_LABELS.get,
                               key="registry_pair_set")
    cols = st.columns(2)
    sources = [EXTRACTED, *imported_sources(cohort)]
    source = cols[0].selectbox("Radiomic features", sources, key="registry_pair_source")
    try:
        model_a = registry.json_model(first)
    except (registry.ArtifactError, ValueError) as exc:
        st.error(f"The model file cannot be read: {as_text(exc)}")
        return
    horizon = None
    if model_a.family == "cox":
        horizon = cols[1].selectbox("Reclassification horizon (months)", model_a.horizons,
                                    index=len(model_a.horizons) // 2, format_func=lambda h: f"{h:g}",
                                    key="registry_pair_horizon")
    request = (first, second, cohort, subset, source, horizon)
    if st.button("Compare on the same patients", key="registry_pair_run"):
        try:
            with st.spinner("Predicting both models and bootstrapping…"):
                st.session_state["registry_pair"] = (request, compare_pair(
                    first, second, cohort, subset, source=None if source == EXTRACTED else source, horizon=horizon))
        except (registry.ArtifactError, ValueError) as exc:
            st.session_state.pop("registry_pair", None)
            st.error(as_text(exc))
    shown = st.session_state.get("registry_pair")
    if shown is None or shown[0] != request:
        return
    result = shown[1]
    horizon_text = "" if result.horizon is None else f"; reclassification at {result.horizon:g} months"
    st.caption(f"{result.n} patients of {as_text(result.where)} ({result.n_events} events), {result.left_out} left "
               f"out{horizon_text}")
    shown_table(result.discrimination, "discrimination", "registry_pair_disc", missing="–")
    shown_table(result.difference, "difference_test", "registry_pair_diff")
    shown_table(result.reclassification_table(), "reclassification", "registry_pair_nri", missing="–")


models = registry.list_models()
if models.empty:
    st.info("No model saved yet: fit one on **Model building** and save it, or import a JSON model file below.")
else:
    st.dataframe(models, hide_index=True, width="stretch")
    st.download_button("Download table (CSV)", csv_text(models), "models.csv", "text/csv")
names = models["name"].tolist()

details_tab, compare_tab, manage_tab, export_tab, import_tab = st.tabs(
    ["Details", "Compare", "Rename / delete", "Export", "Import"])

with details_tab:
    if names:
        record = registry.get(st.selectbox("Model", names, key="registry_details"))
        st.caption(f"Artifact {as_text(record.artifact)} · SHA-256 {record.sha256}")
        try:
            model = registry.json_model(record.name)
        except (registry.ArtifactError, ValueError) as exc:
            st.error(f"The model file cannot be read: {as_text(exc)}")
        else:
            st.table(table_as_text(details.model_summary(model, record.metrics)))
            st.caption("The patient calculator and `predict` use this cut-off: high risk above it.")
            terms = details.term_table(model)
            st.dataframe(terms, hide_index=True, width="stretch")
            st.download_button("Download terms (CSV)", csv_text(terms), f"{record.name}_terms.csv", "text/csv",
                               key="registry_terms_download")
        st.markdown("**Registry record** (raw)")
        st.json(record.meta, expanded=1)

with compare_tab:
    chosen = st.multiselect("Models to compare", names, default=names[:2], key="registry_compare")
    if chosen:
        table = registry.compare(chosen)
        st.dataframe(table, width="stretch")
        st.download_button("Download comparison (CSV)", csv_text(table, index=True), "model_comparison.csv", "text/csv")
    if len(chosen) >= 2:
        st.subheader("Settings that differ")
        differing = settings_differences(chosen)
        if differing.empty:
            st.caption("The chosen models were made with the same settings.")
        else:
            shown_table(differing, "settings_that_differ", "registry_settings_diff")
    if len(chosen) >= 2:
        same_patients_panel(chosen)

with manage_tab:
    if names:
        target = st.selectbox("Model", names, key="registry_target")
        new_name = st.text_input("New name", key="registry_new_name")
        if st.button("Rename", disabled=not new_name, key="registry_rename"):
            try:
                registry.rename(target, new_name)
                st.session_state["registry_done"] = f"Renamed {as_text(target)} to {as_text(new_name)}"
                st.rerun()
            except ValueError as exc:
                st.error(as_text(exc))
        st.divider()
        confirm = st.checkbox(f"Yes, delete {as_text(target)} and its artifact file for good", key="registry_confirm")
        if st.button("Delete", type="primary", disabled=not confirm, key="registry_delete"):
            registry.delete(target)
            st.session_state["registry_done"] = f"Deleted {as_text(target)}"
            st.rerun()

with export_tab:
    if names:
        target = st.selectbox("Model to export", names, key="registry_export")
        try:
            registry.verify(target)
            st.download_button("Download JSON model file", partial(registry.export_json, target), f"{target}.json",
                               "application/json", key="registry_export_button", on_click="ignore")
            standalone_download(JsonModel(model_spec(target, registry.get(target).sha256), validated=True),
                                "registry_standalone_button")
        except (registry.ArtifactError, ValueError) as exc:
            st.error(as_text(exc))

with import_tab:
    upload = st.file_uploader("JSON model file", type=["json"], key="registry_upload")
    import_name = st.text_input("Register as", key="registry_import_name")
    notes = st.text_area("Notes", key="registry_import_notes")
    if st.button("Import", disabled=upload is None or not import_name, key="registry_import"):
        try:
            record = registry.import_json(upload.getvalue(), import_name, notes)
            st.session_state["registry_done"] = f"Registered {as_text(record.name)}"
            st.rerun()
        except ValueError as exc:
            st.error(f"Refused, nothing stored: {as_text(exc)}")

"""Model registry: list, compare, rename, delete, export and import saved models."""

from __future__ import annotations

from functools import partial

import streamlit as st

from app_frame import in_app_frame
from hccdash.display import as_text, table_as_text
from hccdash.registry import details, registry
from hccdash.registry.json_model import JsonModel
from hccdash.spreadsheet import csv_text
from page_parts import model_spec, standalone_download

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

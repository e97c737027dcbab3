"""Patient calculator: one patient's recurrence risk from a registered model."""

from __future__ import annotations

from functools import partial

import streamlit as st

from app_frame import in_app_frame
from hccdash import calculator, preferences
from hccdash.calculator import report
from hccdash.charts import calculator as charts
from hccdash.charts.render import SCREEN
from hccdash.display import as_text
from hccdash.evaluation.risk_groups import cutoff_description
from hccdash.registry import details, registry
from hccdash.registry.json_model import JsonModel
from hccdash.messages import brief
from hccdash.session import keep_choice, restore_choice
from hccdash.spreadsheet import csv_text
from page_parts import figure_downloads, standalone_download, warning_boxes, warnings_glossary

in_app_frame()


@st.cache_data(show_spinner=False)
def _spec(name: str, sha256: str) -> dict:
    """The verified model file of ``name`` (cached per artifact hash)."""
    return registry.load(name).spec


def _chart(container, key: str) -> None:
    """A chart with its PNG and SVG downloads at the chosen export size (rendered only when clicked)."""
    chart = figures[key]
    container.altair_chart(chart, **SCREEN)
    figure_downloads(chart, key, f"calculator_{key}", container)


def problem_text(problem) -> str:
    """"**column**: problem (got value)" for a row of the calculator's input checks, as text."""
    return f"**{as_text(problem.column)}**: {as_text(problem.problem)} (got {as_text(brief(problem.value))})"


st.title("Patient calculator")
models = registry.list_models()
if models.empty:
    st.info("No model registered yet: save one from **Model building** or import one on **Model registry**.")
    st.stop()

restore_choice(st.session_state, "calculator_model", list(models["name"]))  # the model chosen before a page switch
if "calculator_model" not in st.session_state:  # a new session (a reload): the model chosen last, if still registered
    last = preferences.recall(preferences.CALCULATOR_MODEL)
    if last in set(models["name"]):
        st.session_state["calculator_model"] = last
name = st.selectbox("Model", models["name"], key="calculator_model")
keep_choice(st.session_state, "calculator_model")
if st.session_state.get("calculator_model_stored") != name:  # written once per change, not on every rerun
    preferences.remember(preferences.CALCULATOR_MODEL, name)
    st.session_state["calculator_model_stored"] = name
try:
    model = JsonModel(_spec(name, models.set_index("name").at[name, "sha256"]), validated=True)
except registry.ArtifactError as exc:
    st.error(as_text(exc))
    st.stop()
st.caption(f"{as_text(model.spec['model']['submodel'].capitalize())} {model.family} model · trained on "
           f"{model.spec['training']['n']} patients ({model.spec['training']['events']} events) · times in months")
standalone_download(model, "calculator_standalone")

if model.networks:  # a DL score: only with the same network file, registered and unchanged
    try:
        model.attach_registered()
    except ValueError as exc:
        st.error(as_text(exc))
        st.info("Register the network's ONNX file (the one this model names, same SHA-256) on **Feature extraction**.")
        st.stop()
    st.caption("DL score network(s): " + ", ".join(f"{as_text(n)} (SHA-256 {h[:12]}…, registered file checked)"
                                                    for n, h in model.networks.items()))

fields = calculator.form_fields(model)
scores = [label for label, present in (("Rad-score", model.rad_score_name), ("DL score", model.dl_score_name))
          if present]
mode = "typed"
if scores:
    mode = st.radio(" and ".join(scores), ["typed", "image"], horizontal=True, key="calculator_rad_mode",
                    format_func={"typed": "Type it in", "image": "Compute from image and mask"}.get)
if mode == "image":
    phases = calculator.phases_needed(model)
    st.caption(f"Extraction with the model's own settings (deep features with its registered network); phases needed: "
               f"{as_text(', '.join(phases))}")
    uploads = {}
    for phase in phases:
        left, right = st.columns(2)
        image = left.file_uploader(f"{as_text(phase)} image", key=f"calculator_image_{phase}")
        mask = right.file_uploader(f"{as_text(phase)} mask", key=f"calculator_mask_{phase}")
        if image and mask:
            uploads[phase] = ((image.name, image.getvalue()), (mask.name, mask.getvalue()))
    if st.button("Extract features", disabled=len(uploads) < len(phases), key="calculator_extract"):
        bar = st.progress(0.0, "Extracting")
        try:
            st.session_state["calculator_features"] = {"model": name, "values": calculator.features_from_uploads(
                model, uploads, progress=lambda i, n, phase: bar.progress(i / n, f"Extracting {as_text(phase)}"))}
            bar.empty()
        except (ValueError, RuntimeError, FileNotFoundError) as exc:
            st.error(f"Extraction failed: {as_text(exc)}")
    extracted = st.session_state.get("calculator_features", {})
    if extracted.get("model") == name:
        st.success(f"{len(extracted['values'])} features extracted: press Predict")

with st.form("calculator_form"):
    values = {}
    columns = st.columns(3)
    for i, field in enumerate(fields):
        column = columns[i % 3]
        label = as_text(field.title)
        if field.kind == "categorical":
            values[field.name] = column.selectbox(label, field.levels, key=f"calculator_in_{field.name}")
        elif field.kind in calculator.SCORE_KINDS and mode == "image":
            continue
        else:
            values[field.name] = column.number_input(
                label, value=float(field.default), format=field.format, key=f"calculator_in_{field.name}",
                help=f"Training range {field.train_min:.4g} to {field.train_max:.4g}")
    submitted = st.form_submit_button("Predict", type="primary")
if submitted:
    extracted = st.session_state.get("calculator_features", {})
    if mode == "image" and extracted.get("model") == name:
        values.update(extracted["values"])
    st.session_state["calculator_values"] = {"model": name, "values": values}

saved = st.session_state.get("calculator_values")
if not saved or saved["model"] != name:
    st.stop()
values = saved["values"]
checked = calculator.check_inputs(model, values)
for problem in checked.errors.itertuples():
    st.error(problem_text(problem))
if not checked.ok:
    st.stop()
result = calculator.predict_patient(model, values)
warning_boxes([f"{p.column}: {p.problem} (got {brief(p.value)})" for p in result.warnings.itertuples()])

estimates = report.estimate_cards(model, result)
cards = st.columns(len(estimates) + 1)
for card, (label, value, ci) in zip(cards, estimates):
    card.metric(label, value)
    card.caption(ci)
cutoffs = ", ".join(f"{c:.4g}" for c in result.cutoffs)
cards[-1].metric("Risk group", result.risk_group,  # the method is the model file's (another site's) text
                 help=as_text(f"High risk = linear predictor above the cut-off ({cutoff_description(result.cutoff_method)})"))
cards[-1].caption(as_text(f"linear predictor {result.lp:.4g}; cut-off {cutoffs} ({result.cutoff_method}). "
                          f"The {details.lp_note(model)}."))

ticks, marks = calculator.nomogram_figure(model, result)
figures = {"nomogram": charts.nomogram_chart(ticks, marks), "contributions": calculator.waterfall_figure(model, result)}
if result.curve is not None:
    figures["survival"] = charts.survival_chart(result.curve, model.km_curves(), model.horizons)
left, right = st.columns(2)
if "survival" in figures:
    _chart(left, "survival")
_chart(right, "contributions")
_chart(st.container(), "nomogram")

with st.expander("Contributions and points", expanded=True):
    table = result.contributions.merge(result.points, on="term", how="left")
    st.dataframe(table, hide_index=True, width="stretch")
    st.download_button("Download (CSV)", csv_text(table), "contributions.csv", "text/csv")

st.subheader("What if")
numeric = [f for f in fields if f.kind != "categorical" and f.name in values]
categorical = [f for f in fields if f.kind == "categorical"]
changeable = {f.name: f for f in numeric + categorical}
which = st.selectbox("Change", list(changeable), key="calculator_whatif_input", format_func=lambda n: changeable[n].title)
field = changeable[which]
whatif_key = f"calculator_whatif_{name}_{which}_{values.get(which)}"  # a new field, model or patient starts afresh
if field.kind == "categorical":
    new_value = st.selectbox("New value", field.levels, key=f"{whatif_key}_level")
else:
    new_value = st.number_input("New value", value=float(values[which]), format=field.format, key=f"{whatif_key}_value")
try:
    comparison = calculator.what_if(model, values, {which: new_value})
    st.dataframe(report.what_if_text(comparison), hide_index=True, width="stretch")
    st.download_button("Download what-if (CSV)", csv_text(comparison), "what_if.csv", "text/csv")
except calculator.InputError as exc:
    st.error(as_text(exc))

st.subheader("Report")
patient_label = st.text_input("Patient label on the report (optional)", key="calculator_label")
left, right = st.columns(2)
left.download_button("Report (HTML)", partial(report.patient_report_html, model, result, patient_label),
                     "patient_report.html", "text/html", key="calculator_html", on_click="ignore")
right.download_button("Report (PDF)", partial(report.patient_report_pdf, model, result, patient_label),
                      "patient_report.pdf", "application/pdf", key="calculator_pdf", on_click="ignore")

warnings_glossary("calculator_glossary")

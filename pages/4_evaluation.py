"""Evaluation: discrimination, risk groups, calibration, decision curves, nomogram, forest /
subgroups / correlation, by centre, optimism and the report; training, validation and external
validation side by side, clinical / radiomics / combined models side by side.

(About 440 lines: one tab per section, each a few calls into hccdash.evaluation and page_parts;
splitting the tabs into modules would only move the layout away from the page it lays out.)"""

from __future__ import annotations

import dataclasses

import streamlit as st

from app_frame import in_app_frame
from hccdash.charts import evaluation as charts
from hccdash.charts.render import vega_spec
from hccdash.cohort import units_and_labels
from hccdash.display import as_text, format_p
from hccdash.evaluation import figures, optimism, sources
from hccdash.evaluation.bootstrap_validation import bootstrap_calibration, calibration_curves, validation_indices
from hccdash.evaluation.centres import leave_one_centre_out
from hccdash.evaluation.data import prepare
from hccdash.evaluation.forest_plot import subgroup_forest
from hccdash.evaluation.report import report_html, report_pdf
from hccdash.evaluation.risk_groups import cutoff_description
from hccdash.evaluation.summary import evaluate, subgroups
from hccdash.extraction.feature_sets import model_feature_choices
from hccdash.modeling.builder import shared_builder
from hccdash.registry import pipelines
from hccdash.settings import EvaluationSettings
from page_parts import (background_job, chart, chart_spec, deep_feature_choice, pick_cohort, poll_seconds, warning_boxes,
                        warnings_glossary)
from page_parts import table as shown_table

in_app_frame()

CURRENT, PRESET, SAVED = "Current model (Model building)", "Preset fitted on this cohort", "Saved model (registry)"

st.title("Evaluation")
st.caption("Every figure and test of the five studies for the clinical, radiomics and combined models, training, "
           "validation and (three cohorts) external validation side by side. Cut-offs and recalibration come from the "
           "training set only.")


def figure(make, *args, name: str, key: str) -> None:
    """The figure ``make(evaluation, *args)`` (a :mod:`hccdash.evaluation.figures` function giving the chart and its
    data) with PNG / SVG downloads and its data as CSV. Its spec is kept while this evaluation is on screen, so a
    rerun (another horizon, score or tab) builds only the figures it changes."""
    memo = st.session_state.setdefault("ev_figures", {})
    if memo.get("evaluation") != evaluation_key:
        memo.clear()
        memo["evaluation"] = evaluation_key
    ident = (make.__qualname__, args)
    if ident not in memo:
        drawn, data = make(evaluation, *args)
        memo[ident] = vega_spec(drawn), data
    spec, data = memo[ident]
    chart(spec, name, key, data)


def table(frame, name: str, key: str, missing: str | None = None) -> None:
    """A table with its CSV download (split codes shown as the sets' names; empty cells as ``missing``)."""
    shown_table(evaluation.named(frame), name, key, missing, csv_key=f"{key}_tcsv")


def side_by_side(draw) -> None:
    """``draw(split)`` in one column per split."""
    for column, split in zip(st.columns(len(evaluation.splits)), evaluation.splits):
        with column:
            draw(split)


def final_model_bootstrap(label: str, name: str, compute):
    """A button running ``compute(model, training set)`` on the evaluated model (rms::validate / calibrate of the
    final model); the result is kept while this evaluation is on screen and returned (None before the first run)."""
    memo = st.session_state.setdefault("ev_rms", {})
    if memo.get("evaluation") != evaluation_key:
        memo.clear()
        memo["evaluation"] = evaluation_key
    if st.button(label, key=f"ev_rms_{name}"):
        with st.spinner("Refitting the final model in every resample…"):
            data = prepare(st.session_state["ev_fitted"], builder)
            try:
                memo[name] = compute(data.model, data.train)
            except ValueError as exc:
                st.error(as_text(exc))
    return memo.get(name)


def final_model_tables() -> list:
    """(heading, table) of the final model's rms::validate / calibrate results computed for this evaluation."""
    memo = st.session_state.get("ev_rms", {})
    if memo.get("evaluation") != evaluation_key:
        return []
    n, seed = evaluation.settings.evaluation.optimism_resamples, evaluation.settings.evaluation.seed
    found = []
    for name, result in memo.items():
        if name == "validate":
            found.append((f"rms::validate of the final model ({n} bootstrap resamples, seed {seed}; selection not "
                          "repeated)", result))
        elif name.startswith("calibrate_"):
            horizon = name.removeprefix("calibrate_")
            at = "" if horizon == "None" else f" at {float(horizon):g} months"
            found.append((f"rms::calibrate of the final model{at} ({n} bootstrap resamples, seed {seed})", result))
    return found


RMS_CAPTION = ("The combined model as fitted (its clinical codings and the rad-score as fixed columns) refitted in "
               "each bootstrap resample of the training set, as rms::validate / rms::calibrate without selection "
               "(the Optimism tab repeats the whole pipeline); the resamples and seed are the optimism run's.")

top = st.columns(3)
cohort = pick_cohort("ev_cohort", top[0])
feature_choices = {choice.title: choice for choice in model_feature_choices(cohort)}
source_name = top[1].selectbox("Features", list(feature_choices), index=len(feature_choices) - 1, key="ev_source")
features_choice = feature_choices[source_name]
source = features_choice.source
deep_choice = deep_feature_choice(cohort, "ev_deep_source")
try:
    with st.spinner("Loading the cohort's features…"):
        builder = shared_builder(cohort, source, label=features_choice.label, deep=deep_choice)
except ValueError as exc:
    st.info(as_text(exc))  # says what to do (it was followed by the same advice again)
    st.stop()

saved = pipelines.saved_pipelines(cohort)
current_model = st.session_state.get("mb_current")
if current_model is not None and not current_model.matches(cohort, source, features_choice.label, deep_choice):
    current_model = None
kinds = [CURRENT] * (current_model is not None) + [PRESET] + [SAVED] * bool(saved)
kind = top[2].radio("Model", kinds, key="ev_kind",
                    help="The current model is the one on screen on **Model building** (same cohort and features)")
choices = sources.preset_choices()
if kind == CURRENT:
    choice = current_model.key
    builder = current_model.builder  # evaluated on the inputs it was fitted on
    st.caption(f"Current model: {as_text(current_model.label)}")
elif kind == PRESET:
    choice = st.selectbox("Settings (the model-building defaults or a study preset)", list(choices),
                          format_func=choices.get, key="ev_preset")
else:
    choice = st.selectbox("Saved model", saved, key="ev_saved")

defaults = EvaluationSettings()
with st.expander("Evaluation settings"):
    cols = st.columns(5)
    ev = dataclasses.replace(
        defaults,
        risk_cutoff=cols[0].radio("Risk-group cut-off", ["median", "maxstat"], key="ev_cutoff",
                                  format_func={"median": "training median", "maxstat": "max. log-rank"}.get),
        min_at_risk=int(cols[1].number_input("Min. at risk per split", 1, 100, defaults.min_at_risk, key="ev_min_risk")),
        n_bootstrap=int(cols[2].number_input("Bootstrap resamples (CI)", 100, 5000, defaults.n_bootstrap, 100,
                                             key="ev_nboot")),
        uno_c=cols[3].checkbox("Uno's C", defaults.uno_c, key="ev_uno"),
        calibration_groups=int(cols[4].number_input("Calibration groups", 2, 10, defaults.calibration_groups,
                                                    key="ev_groups")),
    )

cache = st.session_state.setdefault("ev_results", {})
key = str((cohort, source_name, st.session_state["ev_deep_source"], kind, choice, ev))
if key not in cache:
    bar = st.progress(0.0, "Fitting the model…")
    try:
        if kind == CURRENT:
            fitted = current_model.result
        elif kind == PRESET:
            fitted = sources.fit_preset(builder, choice)
        else:
            fitted = pipelines.load_saved(choice)
        units, labels = units_and_labels(cohort)
        result = evaluate(fitted, builder, ev, sources.stored_centres(cohort),
                          progress=lambda step, fraction: bar.progress(fraction, f"Evaluating: {step}…"),
                          labels=labels, units=units)
    except ValueError as exc:
        bar.empty()
        st.error(as_text(exc))
        st.stop()
    bar.empty()
    cache.clear()
    cache[key] = result
    st.session_state["ev_fitted"] = fitted  # the evaluated model, for saving it to the registry
evaluation = cache[key]
evaluation_key = key
warning_boxes(evaluation.notes)

survival = evaluation.endpoint.survival
horizon = None
if survival:
    if evaluation.horizons:
        horizon = st.radio("Horizon for time-dependent figures (months)", evaluation.horizons, horizontal=True,
                           key="ev_horizon", format_func=lambda h: f"{h:g}")
    else:
        warning_boxes(["No horizon has enough patients at risk in every split: time-dependent figures are not shown."])

tabs = st.tabs(["Discrimination", "Risk groups", "Calibration", "Decision curves", "Nomogram",
                "Forest / subgroups / correlation", "By centre", "Optimism", "Report", "Proportional hazards",
                "Explanations"],
               key="ev_tab", on_change="rerun")  # tracked, so a button inside a tab does not jump back to the first

with tabs[0]:
    figure(figures.discrimination, name=evaluation.metric_column, key="ev_c")
    table(evaluation.discrimination, f"{evaluation.metric_column}_table", "ev_ctab")
    if survival:
        table(evaluation.horizon_table(), "horizons", "ev_hz")
        table(evaluation.time_auc, "time_dependent_auc", "ev_tauc")
        st.caption("Difference of two correlated C-indices on the same patients (model A - model B; "
                   "survival::concordance(fit_a, fit_b), infinitesimal-jackknife SE):")
        table(evaluation.c_differences, "c_index_differences", "ev_cdiff")
    else:
        table(evaluation.delong, "delong_tests", "ev_delong")
        table(evaluation.youden, "youden_metrics", "ev_youden")
    st.caption("Reclassification of model A over model B, category-free NRI and IDI (Hmisc::improveProb)"
               + ("; Cox: risk by each horizon, patients censored before it left out (excluded)." if survival else "."))
    table(evaluation.reclassification, "reclassification", "ev_nri", missing="–")
    if horizon is not None or not survival:
        side_by_side(lambda split: figure(figures.roc, split, horizon, name=f"roc_{split}", key=f"ev_roc_{split}"))
    st.subheader("Bootstrap-validated indices of the final model (rms::validate)")
    st.caption(RMS_CAPTION + f" {evaluation.metric_name} = (Dxy + 1) / 2; R2 is Nagelkerke's; a slope below 1 is the "
               "shrinkage to expect in new patients.")
    n_resamples = evaluation.settings.evaluation.optimism_resamples
    indices = final_model_bootstrap(f"Validate ({n_resamples} resamples)", "validate",
                                    lambda model, train: validation_indices(model, train, evaluation.settings.evaluation))
    if indices is not None:
        table(indices, "validate_indices", "ev_rms_val_table")

with tabs[1]:
    @st.fragment
    def risk_group_curves() -> None:
        """Kaplan-Meier curves of the chosen score's risk groups (another score reruns this alone)."""
        risk_model = st.radio("Score", list(evaluation.risk_groups), index=len(evaluation.risk_groups) - 1,
                              horizontal=True, key="ev_rg_model")
        side_by_side(lambda split: figure(figures.km, risk_model, split, name=f"km_{risk_model}_{split}",
                                          key=f"ev_km_{split}"))

    risk_group_curves()
    table(evaluation.risk_group_table(), "risk_groups", "ev_rg")
    st.subheader("Save this model with its cut-off")
    chosen = sources.chosen_cutoff(evaluation)
    st.caption("The registry keeps the combined model; the patient calculator and `predict` put a patient in the high "
               "risk group when the linear predictor is above the cut-off saved here.")
    cols = st.columns(3)
    how = cols[0].radio("Cut-off", ["evaluation", "percentile", "given"], key="ev_save_cutoff", format_func={
        "evaluation": f"{cutoff_description(chosen.method)}: {chosen.value:.4g}",
        "percentile": "a percentile of the training linear predictor", "given": "type a value"}.get)
    if how == "percentile":
        chosen = sources.chosen_cutoff(evaluation, percentile=cols[0].number_input(
            "Percentile", 1.0, 99.0, 50.0, 1.0, format="%g", key="ev_save_percentile"))
        cols[0].caption(f"Cut-off {chosen.value:.4g}")
    elif how == "given":
        chosen = sources.chosen_cutoff(evaluation, value=cols[0].number_input(
            "Cut-off on the linear predictor", value=chosen.value, format="%.4f", key="ev_save_value"))
    save_name = cols[1].text_input("Model name", key="ev_save_name")
    save_notes = cols[2].text_area("Notes", key="ev_save_notes")
    if st.button("Save to the registry", disabled=not save_name, key="ev_save"):
        try:
            saved_name = pipelines.save_evaluated(st.session_state["ev_fitted"], evaluation, builder, cohort, save_name,
                                                save_notes, chosen)
            st.success(f"Saved {as_text(saved_name)} with the cut-off {chosen.value:.4g} ({chosen.method})")
        except ValueError as exc:
            st.error(as_text(exc))

with tabs[2]:
    if horizon is not None or not survival:
        side_by_side(lambda split: figure(figures.calibration, split, horizon, name=f"calibration_{split}",
                                          key=f"ev_cal_{split}"))
    if not survival:
        table(evaluation.hosmer_lemeshow, "hosmer_lemeshow", "ev_hl")
    if horizon is not None or not survival:
        at = f" at {horizon:g} months" if survival else ""
        st.subheader(f"Bootstrap-corrected calibration of the final model{at} (rms::calibrate)")
        st.caption(RMS_CAPTION + (" Kaplan-Meier S(t) per group of predicted S(t) (cmethod = \"KM\", "
                                  f"{evaluation.settings.evaluation.calibration_groups} groups)" if survival else
                                  " A lowess curve of the outcome on the predicted probability") +
                   ", and the same minus the bootstrap optimism (bias-corrected).")
        calibrated = final_model_bootstrap(
            f"Bootstrap the calibration ({evaluation.settings.evaluation.optimism_resamples} resamples)",
            f"calibrate_{horizon}",
            lambda model, train: bootstrap_calibration(model, train, evaluation.settings.evaluation, horizon))
        if calibrated is not None:
            curves = calibration_curves(calibrated)
            title = f"Bootstrap-corrected calibration{at}, training"
            chart(chart_spec(charts.bootstrap_calibration_chart, curves, title, survival),
                  f"calibrate{'_' + format(horizon, 'g') if survival else ''}", "ev_rms_cal", calibrated)

with tabs[3]:
    if horizon is not None or not survival:
        first, last, step = evaluation.settings.evaluation.dca_thresholds
        shown = st.slider("Threshold probability range", first, last, (first, last), step, format="%.2f",
                          key=f"ev_dca_range_{first:g}_{last:g}_{step:g}", help="The thresholds shown (evaluation.dca_thresholds sets the ones "
                                                   "computed): the range of risks at which a clinician would act.")
        side_by_side(lambda split: figure(figures.decision, split, horizon, tuple(shown), name=f"decision_{split}",
                                          key=f"ev_dca_{split}"))

with tabs[4]:
    figure(figures.nomogram, name="nomogram", key="ev_nomo")
    st.caption("Nomogram check, every set: total points against the axis, patients with a value beyond an axis "
               "(outside the training range) and the largest difference between the outcome read off the nomogram "
               "and the model's own prediction.")
    table(evaluation.nomogram_check, "nomogram_check", "ev_nomocheck")

with tabs[5]:
    figure(figures.forest, name="hazard_ratios", key="ev_forest")
    st.subheader("Subgroups of the risk groups")

    @st.fragment
    def subgroup_panel() -> None:
        """Risk groups within a clinical variable's subgroups (another choice reruns this alone)."""
        cols = st.columns(3)
        named = evaluation.labels  # the cohort's display labels
        variable = cols[0].selectbox("Clinical variable", builder.inputs.clinical_variables, key="ev_sub_var",
                                     format_func=lambda v: named.get(v) or v)
        sub_model = cols[1].selectbox("Score", list(evaluation.risk_groups), index=len(evaluation.risk_groups) - 1,
                                      key="ev_sub_model")
        sub_split = cols[2].selectbox("Set", evaluation.splits, key="ev_sub_split", format_func=evaluation.set_name)
        sub_table, interaction_p = subgroups(evaluation, builder.inputs.clinical, sub_model, sub_split, variable)
        st.metric("Interaction p (LR test, risk group x subgroup)", format_p(interaction_p))
        forest_data = subgroup_forest(sub_table, named.get(variable) or variable)
        if forest_data["ratio"].notna().any():
            title = f"High vs low risk by {named.get(variable) or variable} ({evaluation.set_name(sub_split)})"
            chart(chart_spec(charts.forest_chart, forest_data, title), f"subgroups_{variable}", "ev_subforest",
                  forest_data)
        table(sub_table, f"subgroups_{variable}", "ev_sub")

    subgroup_panel()
    st.subheader("Spearman correlation of the rad-score")
    table(evaluation.correlation, "rad_score_correlation", "ev_corr")

with tabs[6]:
    if evaluation.by_centre is None:
        st.info("This cohort has no centre column (or one centre): nothing to show by centre.")
    else:
        table(evaluation.by_centre, "by_centre", "ev_centre", missing="–")
        loco_key = f"ev_loco_{key}"
        if st.button("Leave-one-centre-out validation (refits the pipeline per centre)", key="ev_loco"):
            bar = st.progress(0.0, "Refitting…")
            st.session_state[loco_key] = leave_one_centre_out(
                builder, evaluation.settings, evaluation.clinical_vars, sources.stored_centres(cohort),
                progress=lambda done, total: bar.progress(done / total, f"{done} of {total} centres"))[0]
            bar.empty()
        if loco_key in st.session_state:
            table(st.session_state[loco_key], "leave_one_centre_out", "ev_loco_table", missing="–")

pipeline_settings = features_choice.applied_to(evaluation.settings)  # jobs reload these features
with tabs[7]:
    st.caption("Bootstrap that repeats the WHOLE pipeline (filters, LASSO with its CV, clinical selection, combined "
               "model) in each resample, as rms::validate: corrected = apparent - mean(C_boot - C_orig). Runs in the "
               "background; leaving the page does not stop it.")
    jobs = st.session_state.setdefault("ev_jobs", {})

    def show_optimism(status) -> None:
        result = optimism.OptimismResult.from_json(status.result)
        st.session_state[f"ev_opt_{key}"] = result
        table(result.table, "optimism", "ev_opt_table")
        st.caption(f"{result.n_boot} resamples ({len(result.failures)} failed), seed {result.seed}, "
                   f"{result.seconds:.0f} s")

    def optimism_panel() -> None:
        """Start, follow and show the background validation job (a fragment polling while it runs)."""
        background_job(jobs, key, prefix="ev_opt", label="Optimism-corrected validation",
                       start_label="Start optimism-corrected validation",
                       resamples=(10, 2000, pipeline_settings.evaluation.optimism_resamples),
                       start=lambda n: optimism.start(cohort, source, pipeline_settings, evaluation.clinical_vars, n,
                                                    deep_choice),
                       show=show_optimism, result_key="table")

    st.fragment(optimism_panel, run_every=poll_seconds(jobs, key))()

with tabs[8]:
    st.caption("The report holds every setting, the methods paragraph, all tables and figures, and the TRIPOD / CLEAR "
               "checklists; optimism and leave-one-centre-out results are included once computed.")
    title = st.text_input("Title", f"Evaluation of the {evaluation.endpoint.label} nomogram ({cohort})", key="ev_title")
    extras = {"optimism": st.session_state.get(f"ev_opt_{key}"), "loco": st.session_state.get(f"ev_loco_{key}"),
              "bootstrap": final_model_tables()}
    cols = st.columns(2)
    for column, (label, build, mime, suffix) in zip(cols, [("HTML", report_html, "text/html", "html"),
                                                            ("PDF", report_pdf, "application/pdf", "pdf")]):
        report_key = f"ev_report_{suffix}_{key}"
        if column.button(f"Build the {label} report", key=f"ev_report_{suffix}_build"):
            bar = column.progress(0.0, "Rendering figures…")
            st.session_state[report_key] = build(evaluation, title, **extras,
                                                 progress=lambda step, fraction: bar.progress(fraction, step))
            bar.empty()
        if report_key in st.session_state:
            column.download_button(f"Download the {label} report", st.session_state[report_key],
                                   f"evaluation_report.{suffix}", mime, key=f"ev_report_{suffix}_download")

with tabs[9]:
    if not survival:
        st.info("Logistic models (early recurrence) make no proportional-hazards assumption: nothing to test.")
    else:
        ph_check = evaluation.proportional_hazards
        st.caption("survival::cox.zph on the training set, for every Cox model: a score test per term and GLOBAL that "
                   "the coefficient does not change with time (transformed as 1 - KM(t)); p < 0.05 means the hazard "
                   "ratio drifts over follow-up. The plots show the scaled Schoenfeld residuals, an estimate of the "
                   "coefficient at each event time.")
        warning_boxes(ph_check.notes)
        table(ph_check.tests, "proportional_hazards", "ev_ph")

        @st.fragment
        def schoenfeld_panel() -> None:
            """One term's Schoenfeld residual plot (another term reruns this alone)."""
            cols = st.columns(2)
            ph_models = list(dict.fromkeys(ph_check.residuals["model"]))
            ph_model = cols[0].selectbox("Model", ph_models, index=len(ph_models) - 1, key="ev_ph_model")
            terms = list(dict.fromkeys(ph_check.residuals.loc[ph_check.residuals["model"] == ph_model, "term"]))
            ph_term = cols[1].selectbox("Term", terms, key="ev_ph_term")
            figure(figures.schoenfeld, ph_model, ph_term, name=f"schoenfeld_{ph_model}_{ph_term}", key="ev_schoenfeld")

        if len(ph_check.residuals):
            schoenfeld_panel()

with tabs[10]:
    explained = evaluation.explanations
    if not explained:
        st.info("The combined model is the null model: there is no term to explain.")
    else:
        st.caption("SHAP-style contributions, exact for a linear predictor: each term adds b x (x - training mean) to "
                   "the training patients' mean linear predictor (log hazard ratio for RFS, log odds for ER), so a "
                   "patient's contributions sum to their linear predictor minus that mean. Beeswarm: one dot per "
                   "patient, coloured by the term's value (blue low, red high).")

        @st.fragment
        def explanation_panel() -> None:
            """The beeswarm of one explanation over chosen sets and one patient's waterfall (reruns alone)."""
            cols = st.columns(2)
            kind = cols[0].radio("Explain", list(explained), horizontal=True, key="ev_explain_kind",
                                 format_func=lambda k: explained[k].title)
            shown = cols[1].multiselect("Sets", evaluation.splits, default=evaluation.splits, key="ev_explain_sets",
                                        format_func=evaluation.set_name)
            splits = tuple(s for s in evaluation.splits if s in shown) or None
            figure(figures.beeswarm, kind, splits, name=f"contributions_{kind}", key="ev_beeswarm")
            explanation = explained[kind]
            patients = [str(p) for p in explanation.contributions.index]
            patient = st.selectbox("Patient", patients, key="ev_explain_patient",
                                   format_func=lambda p: f"{p} ({evaluation.set_name(explanation.sets.get(p, ''))})")
            figure(figures.waterfall, kind, patient, name=f"waterfall_{kind}_{patient}", key="ev_waterfall")

        explanation_panel()

warnings_glossary("ev_glossary")

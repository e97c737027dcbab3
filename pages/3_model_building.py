"""Model building: filters, LASSO rad-score, DL score of deep features, clinical and combined models, with live sliders."""

from __future__ import annotations

import streamlit as st

from app_frame import in_app_frame
from hccdash.charts import model as charts
from hccdash.charts.harmonisation import harmonisation_chart
from hccdash.charts.render import overlay, vega_spec
from hccdash.cohort.split import set_names
from hccdash.display import as_text
from hccdash.evaluation.data import prepare
from hccdash.evaluation.proportional_hazards import PHCheck, ph_check
from hccdash.evaluation.sources import CurrentModel
from hccdash.extraction.feature_sets import model_feature_choices
from hccdash.modeling import configurations, stability_job
from hccdash.modeling.builder import BuildResult, shared_builder
from hccdash.modeling.controls import (
    BASE, DEEP_BY, KEYS, LAMBDA_RULE, apply_settings, control_state, keep_options, lambda_position, remembers,
    restore_controls, settings_from_controls, with_lambda,
)
from hccdash.modeling.harmonisation import harmonisation_view
from hccdash.modeling.presets import TITLES, preset, preset_label
from hccdash.registry import pipelines
from hccdash.selection.lasso import LassoSelector
from hccdash.settings import Settings
from page_parts import (NO_DEEP, background_job, chart, chart_spec, deep_feature_choice, pick_cohort, poll_seconds, spec_of, table,
                        warning_boxes, warnings_glossary)

in_app_frame()


st.title("Model building")
st.caption("Filters → z-score → LASSO rad-score, clinical model and combined model, all fitted on the "
           "training split. Expensive steps are cached: moving a slider refits and redraws only what depends on "
           "it; results being recomputed are marked as updating.")


cohort = pick_cohort("mb_cohort")
choices = {choice.title: choice for choice in model_feature_choices(cohort)}
source = st.selectbox("Features", list(choices), index=len(choices) - 1 if len(choices) > 1 else 0, key="mb_source")
features_choice = choices[source]
deep_choice = deep_feature_choice(cohort, "mb_deep_source")
deep_title = st.session_state["mb_deep_source"]
reload = st.button("Reload features", help="After a new extraction or import", key="mb_reload")
try:
    with st.spinner("Loading the cohort's features…"):
        builder = shared_builder(cohort, features_choice.source, label=features_choice.label, reload=reload,
                                 deep=deep_choice)
except ValueError as exc:
    st.info(as_text(exc))  # says what to do (it was followed by the same advice again)
    st.stop()
inputs = builder.inputs
if not inputs.phases:
    st.info("This cohort has no radiomic features: the clinical model is fitted alone (Cox for RFS, logistic for "
            "early recurrence); it is the nomogram that Evaluation, the registry and the calculator use.")

scope = str((cohort, source, deep_title))
features_key = source if deep_title == NO_DEEP else f"{source} + {deep_title}"  # the configurations' key in the store
# each cohort keeps its own controls; a new session starts from the cohort's last configuration (a reload)
start = (Settings() if remembers(st.session_state, scope)
         else configurations.last_configuration(cohort, features_key) or Settings())
restore_controls(st.session_state, scope, control_state(start, inputs.phases, inputs.clinical_variables))
continuous = [v for v in inputs.continuous_variables if v in st.session_state["mb_clinical"]]
dropped = keep_options(st.session_state, {"mb_external": inputs.centres, "mb_dichotomise": continuous,
                                          "mb_force_in": st.session_state["mb_clinical"],
                                          "mb_force_out": st.session_state["mb_clinical"]})
smooth = [v for v in continuous if v not in st.session_state["mb_dichotomise"]]
dropped |= keep_options(st.session_state, {"mb_log": smooth, "mb_splines": smooth})
if dropped:  # a configuration made for another cohort
    st.info(as_text("Not offered for this cohort, left out: " + "; ".join(
        f"{key.removeprefix('mb_')}: {', '.join(map(str, values))}" for key, values in dropped.items())))


def apply(settings: Settings, what: str) -> None:
    """Set every control to ``settings`` and say what was applied (and what this cohort lacks)."""
    missing = apply_settings(st.session_state, settings, inputs.phases, inputs.clinical_variables)
    st.session_state["mb_applied"] = what + (f"; not in this cohort, left out: {', '.join(missing)}" if missing else "")


def apply_preset(name: str) -> None:
    """Set every control to a study preset."""
    apply(preset(name, inputs.phases, inputs.clinical_variables, inputs.patients.get("centre")), f"Preset {name}")


def load_configuration() -> None:
    """Apply an uploaded YAML configuration (a settings file of `fit --settings`)."""
    upload = st.session_state.get("mb_config_upload")
    if upload is None:
        return
    try:
        loaded = configurations.read_settings_text(upload.getvalue(), f"Configuration {upload.name}")
    except ValueError as exc:
        st.session_state["mb_applied"] = f"Not loaded: {exc}"
        return
    apply(configurations.with_sections(Settings(), loaded), f"Loaded {upload.name}")


def go_back() -> None:
    """Apply the configuration chosen in the history."""
    chosen = st.session_state.get("mb_history_choice")
    found = dict(configurations.history(cohort, features_key))
    if chosen in found:
        apply(found[chosen], f"Back to the configuration of {chosen:%Y-%m-%d %H:%M:%S}")


st.markdown("**Study presets** (METHODS.md)")
for column, name in zip(st.columns(len(TITLES)), TITLES):
    column.button(preset_label(name), help=TITLES[name], on_click=apply_preset, args=(name,), key=f"mb_preset_{name}",
                  width="stretch")
with st.expander("Configuration: reset, load, history (remembered for this cohort, also after a reload)"):
    cols = st.columns([1, 2])
    cols[0].button("Reset to defaults", key="mb_reset", on_click=apply, args=(Settings(), "Defaults (METHODS.md)"))
    cols[1].file_uploader("Load a configuration (YAML, as saved below or for `fit --settings`)", type=["yaml", "yml"],
                          key="mb_config_upload", on_change=load_configuration)
    history_box = st.container()  # filled after the fit, so that it lists the configuration just fitted
applied = st.session_state.pop("mb_applied", None)
if applied:
    (st.error if applied.startswith("Not loaded") else st.success)(as_text(applied))

with st.sidebar:
    st.header("Endpoint")
    st.radio("Endpoint", ["rfs", "er"], key="mb_endpoint", horizontal=True,
             format_func={"rfs": "RFS (Cox)", "er": "Early recurrence (logistic)"}.get)
    st.number_input("ER horizon (months)", 1.0, 120.0, step=1.0, key="mb_horizon",
                    disabled=st.session_state["mb_endpoint"] != "er")
    st.multiselect("Phases", inputs.phases, key="mb_phases", placeholder="All phases")  # empty = every phase
    st.radio("Multi-phase fusion", ["lasso", "scores"], key="mb_fusion", horizontal=True,
             format_func={"lasso": "one LASSO", "scores": "per-phase scores"}.get)
    st.header("Filters")
    st.toggle("ICC filter", key="mb_icc_on", disabled=inputs.repeats is None,
              help="Needs repeat segmentations (reader 2)")
    st.selectbox("ICC kind", ["ICC2_1", "ICC3_1"], key="mb_icc_kind")
    st.selectbox("Features without repeat data", ["keep", "drop"], key="mb_icc_missing")
    st.toggle("Zero / near-zero variance", key="mb_variance_on")
    st.toggle("Univariate test", key="mb_univariate_on")
    st.selectbox("Test", ["auto", "mannwhitney", "anova"], key="mb_univariate_test")
    st.number_input("p threshold", 0.001, 1.0, step=0.01, key="mb_univariate_p")
    st.toggle("Correlation filter", key="mb_corr_on")
    st.selectbox("Correlation", ["spearman", "pearson"], key="mb_corr_method")
    st.toggle("mRMR", key="mb_mrmr_on")
    st.toggle("Random-forest importance", key="mb_rf_on")
    st.number_input("Forest top k", 1, 200, key="mb_rf_k")
    st.header("LASSO")
    st.number_input("CV folds", 3, 20, key="mb_folds")
    st.checkbox("Leave-one-out CV", key="mb_loo")
    st.header("Deep features (DL score)")
    st.caption(f"{len(inputs.deep_columns)} deep feature column(s)" if inputs.deep_columns
               else "No deep features loaded: choose a deep feature set above")
    st.toggle("DL score in the combined model", key="mb_deep_on", disabled=not inputs.deep_columns)
    st.radio("PCA keeps", DEEP_BY, key="mb_deep_by", horizontal=True,
             format_func={"variance": "explained variance", "components": "a number of components"}.get)
    st.number_input("Explained variance (share)", 0.05, 1.0, step=0.05, key="mb_deep_variance",
                    disabled=st.session_state["mb_deep_by"] != "variance")
    st.number_input("Components", 1, 200, key="mb_deep_components",
                    disabled=st.session_state["mb_deep_by"] != "components")
    st.radio("DL score lambda", ["lambda.min", "lambda.1se"], key="mb_deep_lambda", horizontal=True,
             help="The study fitted the DL score's LASSO at lambda.min")
    st.header("Clinical model")
    st.multiselect("Clinical variables", inputs.clinical_variables, key="mb_clinical")
    st.multiselect("Force in", st.session_state["mb_clinical"], key="mb_force_in")
    st.multiselect("Force out", st.session_state["mb_clinical"], key="mb_force_out")
    st.multiselect("Dichotomise at the log-rank cut-off",
                   [v for v in inputs.continuous_variables if v in st.session_state["mb_clinical"]],
                   key="mb_dichotomise")
    continuous = [v for v in inputs.continuous_variables if v in st.session_state["mb_clinical"]
                  and v not in st.session_state["mb_dichotomise"]]
    st.multiselect("Log (natural log, e.g. AFP)", continuous, key="mb_log",
                   help="Enters as log(x), as rms's log(x); every training value must be above 0")
    st.multiselect("Restricted cubic spline", continuous, key="mb_splines",
                   help="rms::rcs: knots at Harrell's quantiles; with Log, a spline of log(x). A settings file may "
                        "give each variable its own number of knots")
    st.number_input("Spline knots", 3, 7, key="mb_knots", disabled=not st.session_state["mb_splines"])
    st.number_input("Screen p_in", 0.001, 1.0, step=0.01, key="mb_p_in")
    st.number_input("Keep p_out", 0.001, 1.0, step=0.01, key="mb_p_out")
    st.header("Harmonisation")
    batches = inputs.batch_columns or ["centre"]
    if st.session_state["mb_combat_batch"] not in batches:
        st.session_state["mb_combat_batch"] = batches[0]
    st.toggle("ComBat across batches", key="mb_combat", disabled=not inputs.batch_columns,
              help="Empirical-Bayes ComBat (sva) fitted on the training set, before every filter (not in METHODS.md)")
    st.selectbox("Batch", batches, key="mb_combat_batch", disabled=not st.session_state["mb_combat"])
    references = [None, *(inputs.batch_levels(st.session_state["mb_combat_batch"]) if inputs.batch_columns else [])]
    if st.session_state["mb_combat_ref"] not in references:
        st.session_state["mb_combat_ref"] = None
    st.selectbox("Reference batch", references, key="mb_combat_ref", disabled=not st.session_state["mb_combat"],
                 format_func=lambda b: "none (pooled)" if b is None else b,
                 help="Kept as it is; batches unseen in training are mapped onto it (none: the largest)")
    st.header("Validation")
    st.multiselect("External validation centres (three cohorts)", inputs.centres, key="mb_external",
                   placeholder="None: the split stored with the cohort",
                   help="Held out as external validation; the other centres are split at random 7:3 (stratified by "
                        "event, seed 42) into training and internal validation")



@st.fragment
def filters() -> BuildResult | None:
    """The filter and lambda sliders and every result: a slider move reruns this alone. One fragment, not a
    lambda fragment inside it: Streamlit marks as stale only the elements of the fragment that reruns, so the
    results of a nested one would look current while a filter move recomputes them. A lambda move re-reads
    the filter stage's build (kept by the builder) and lays the chosen lambda over cached charts. Returns the
    fit shown (None when the controls cannot be fitted) to the full run that called it."""
    sliders = st.columns(3)
    sliders[0].slider("ICC threshold", 0.0, 1.0, step=0.05, key="mb_icc",
                      disabled=not st.session_state["mb_icc_on"] or inputs.repeats is None)
    sliders[1].slider("Correlation threshold", 0.5, 1.0, step=0.01, key="mb_corr",
                      disabled=not st.session_state["mb_corr_on"])
    sliders[2].slider("mRMR k", 2, 60, key="mb_mrmr_k", disabled=not st.session_state["mb_mrmr_on"])
    try:
        settings = features_choice.applied_to(settings_from_controls({k: st.session_state[k] for k in KEYS},
                                                                     st.session_state[BASE]))
        with st.spinner("Fitting (the first fit of a cohort computes ICC, correlations and univariable tests once)…"):
            base = builder.build(with_lambda(settings, "lambda.min"))
    except ValueError as exc:
        st.error(as_text(exc))
        return None
    return results(settings, base)


def results(settings: Settings, base: BuildResult) -> BuildResult:
    """The lambda control and every result; returns the fit at the chosen lambda."""
    lasso = base.lasso
    if lasso is not None:
        lambdas = [float(v) for v in lasso.cv_.lambdas]
        marks = {lambdas.index(lasso.cv_.lambda_min): " (lambda.min)",
                 lambdas.index(lasso.cv_.lambda_1se): " (lambda.1se)"}
        lambda_key = f"mb_lambda_{hash(tuple(lambdas))}"
        st.session_state.setdefault(lambda_key, lambda_position(lambdas, st.session_state[LAMBDA_RULE], lasso.cv_.resolve))
        chosen = lambdas[st.select_slider("LASSO lambda (the path's lambdas, log-spaced)", options=range(len(lambdas)),
                                          key=lambda_key, format_func=lambda i: f"{lambdas[i]:.4g}{marks.get(i, '')}")]
        result = base if chosen == lasso.cv_.lambda_min else builder.build(with_lambda(settings, chosen))
        st.session_state[LAMBDA_RULE] = result.settings.selection.lasso_lambda  # remembered with the controls
    else:
        if not isinstance(st.session_state[LAMBDA_RULE], str):  # a lambda value of a single-path configuration
            st.session_state[LAMBDA_RULE] = "lambda.min"
        st.radio("LASSO lambda (per phase)", ["lambda.min", "lambda.1se"], key="mb_lambda_rule", horizontal=True)
        result = builder.build(with_lambda(settings, st.session_state["mb_lambda_rule"]))
    st.session_state["mb_current"] = CurrentModel(cohort, features_choice.source, result, builder,
                                                  features_choice.label, deep_choice)
    remember(result)
    ph = proportional_hazards(result)
    warning_boxes(result.warnings + ph.notes)
    summary(result)
    rad_score(settings, result)
    if result.model.has_deep:
        dl_score(result)
    if getattr(result.model, "harmoniser_", None) is not None:
        harmonisation(result)
    models(result, ph)
    return result


def proportional_hazards(result: BuildResult) -> PHCheck:
    """Evaluation's cox.zph check of the fit's Cox models (training set), once per fit for every session."""
    return result.derived("ph_check", lambda: ph_check(prepare(result, builder)))


def remember(result: BuildResult) -> None:
    """Store the configuration of this fit as the cohort's newest (once per change) and offer it as YAML."""
    stored = st.session_state.setdefault("mb_remembered", {})
    if stored.get(scope) != result.settings:
        configurations.remember_soon(cohort, features_key, result.settings)
        stored[scope] = result.settings
    st.download_button("Save this configuration (YAML)", configurations.configuration_yaml(result.settings, cohort, features_key),
                       "model_building.yaml", "application/yaml", key="mb_config_download", on_click="ignore",
                       help="Load it here again, or fit the same pipeline with python -m hccdash fit --settings")


def history_section() -> None:
    """The recent configurations of this cohort, newest first, with a button to go back to one."""
    past = configurations.history(cohort, features_key)
    if past:
        cols = history_box.columns([3, 1])
        cols[0].selectbox("Recent configurations (newest first)", [when for when, _ in past], key="mb_history_choice",
                          format_func=dict((when, f"{when:%Y-%m-%d %H:%M:%S} · {configurations.describe(s)}")
                                           for when, s in past).get)
        cols[1].button("Go back to it", key="mb_history_apply", on_click=go_back)


def summary(result: BuildResult) -> None:
    """The combined model's discrimination per set, selected features, patients; the C-index table."""
    model = result.model
    combined = result.discrimination.loc["combined"]
    metric_label = "C-index" if result.endpoint.survival else "AUC"
    names = set_names(combined.index)
    cols = st.columns(len(combined) + 2)
    for column, (split, value) in zip(cols, combined.items()):
        column.metric(f"{metric_label} combined, {names[split]}", "–" if value != value else f"{value:.3f}")
    cols[-2].metric("Selected features", len(model.radiomics_.selected_features_))
    counts = [len(ids) for ids in result.set_indices.values()][:len(combined)]
    cols[-1].metric(f"Patients ({' / '.join(names[s] for s in combined.index)} / excluded)",
                    " / ".join(map(str, counts + [len(result.excluded)])))
    table(result.discrimination_table(), result.endpoint.metric, "mb_cindex")


def rad_score(settings: Settings, result: BuildResult) -> None:
    """Funnel, CV curve, coefficient path and coefficients (with their stability) of the rad-score, in
    tabs of which only the open one is drawn (a move redraws one chart, not four; opening another tab
    reruns the model fragment from the builder's cache). Chart specs are kept for every session: the CV
    curve and the path are built once per cross-validation, the chosen lambda is a marker laid over them."""
    model = result.model
    st.subheader("Rad-score")
    st.caption(f"Features left after each step: {result.funnel_text()}")
    st.code(model.radiomics_.formula(), language=None, wrap_lines=True)
    funnel_tab, cv_tab, path_tab, coef_tab = st.tabs(["Funnel", "CV curve", "Coefficient path", "Coefficients"],
                                                     key="mb_rad_view", on_change="rerun")
    if funnel_tab.open:
        with funnel_tab:
            chart(chart_spec(charts.funnel_chart, model.radiomics_.funnel_), "funnel", "mb_funnel")
    lasso = result.lasso
    if (cv_tab.open or path_tab.open) and lasso is None:
        (cv_tab if cv_tab.open else path_tab).info("One LASSO per phase (fusion): no single path to draw.")
    elif cv_tab.open:
        with cv_tab:
            chart(cv_curve(lasso, result.endpoint.survival), "lasso_cv", "mb_cv")
    elif path_tab.open:
        with path_tab:
            chart(coefficient_path(lasso), "lasso_path", "mb_path")
    if coef_tab.open:
        with coef_tab:
            coefficients_view(settings, result)


def coefficients_view(settings: Settings, result: BuildResult) -> None:
    """The rad-score's coefficients (chart and table) and their selection stability (a background job)."""
    stability_key = str(("mb_stability", cohort, source, str(settings.to_dict()),
                         str(result.settings.selection.lasso_lambda)))
    stability = st.session_state.get("mb_stability_results", {}).get(stability_key)
    coefficients = result.model.radiomics_.coefficients_
    if coefficients.empty:
        st.info("No feature selected at this lambda.")
    else:
        chart(chart_spec(charts.coefficient_chart, coefficients, stability), "coefficients", "mb_coef")
    table(result.coefficient_table(), "rad_score_coefficients", "mb_coeftable")
    jobs = st.session_state.setdefault("mb_stability_jobs", {})
    st.fragment(stability_panel, run_every=poll_seconds(jobs, stability_key))(jobs, stability_key, result)


def cv_curve(lasso: LassoSelector, survival: bool) -> dict:
    """The CV curve of a LASSO with its chosen lambda marked: the curve built once per cross-validation,
    the curve with a marker once per lambda, for every session (:func:`page_parts.spec_of`)."""
    cv, lam = lasso.cv_, lasso.lambda_value_
    measure = "partial-likelihood deviance" if survival else "binomial deviance"
    curve = lambda: vega_spec(charts.cv_curve_chart(cv.table, cv.lambda_min, cv.lambda_1se, None, measure))  # noqa: E731
    return spec_of(cv, ("cv curve", measure, lam), lambda: overlay(
        spec_of(cv, ("cv curve", measure), curve), vega_spec(charts.chosen_lambda_point(cv.table, lam))))


def coefficient_path(lasso: LassoSelector) -> dict:
    """The coefficient path of a LASSO with its chosen lambda marked, built as :func:`cv_curve`."""
    cv, lam = lasso.cv_, lasso.lambda_value_
    path = lambda: vega_spec(charts.coefficient_path_chart(cv.path.coefficients))  # noqa: E731
    return spec_of(cv, ("path", lam), lambda: overlay(spec_of(cv, "path", path),
                                                      vega_spec(charts.chosen_lambda_rule(lam))))


def dl_score(result: BuildResult) -> None:
    """The DL score's funnel (deep features -> principal components -> LASSO), formula, CV curve and components."""
    deep = result.model.deep_
    st.subheader("DL score")
    st.caption(as_text("Deep features left after each step: "  # network names are the user's
                       + " → ".join(f"{label} {n}" for label, n in zip(deep.funnel_["label"], deep.funnel_["features"]))
                       + "; networks: " + ", ".join(f"{name} (SHA-256 {(sha or 'not recorded')[:12]})"
                                                    for name, sha in deep.networks_.items())))
    st.code(deep.formula(), language=None, wrap_lines=True)
    funnel_tab, cv_tab, components_tab = st.tabs(["Funnel", "CV curve", "Components"], key="mb_dl_view",
                                                 on_change="rerun")  # only the open tab is drawn, as the rad-score's
    if funnel_tab.open:
        with funnel_tab:
            chart(chart_spec(charts.funnel_chart, deep.funnel_), "dl_funnel", "mb_dl_funnel")
    if cv_tab.open:
        with cv_tab:
            chart(cv_curve(deep.lasso_, result.endpoint.survival), "dl_lasso_cv", "mb_dl_cv")
    if components_tab.open:
        with components_tab:
            table(deep.component_table(), "dl_score_components", "mb_dl_components")


def stability_panel(jobs: dict, stability_key: str, result: BuildResult) -> None:
    """Start, follow and collect the background stability job (a fragment polling while it runs)."""

    def show_stability(status) -> None:
        results = st.session_state.setdefault("mb_stability_results", {})
        if stability_key not in results:
            results[stability_key] = status.result["stability"]
            st.rerun()
        st.caption(f"Stability from {status.result['n_resamples']} bootstrap resamples.")

    background_job(jobs, stability_key, prefix="mb_stability", label="Stability",
                   start_label="Compute selection stability (background)",
                   resamples=(10, 1000, result.settings.selection.stability_resamples),
                   start=lambda n: stability_job.start(cohort, result.settings, result.clinical_vars, n,
                                                       features_choice.source),
                   show=show_stability, result_key="stability", start_disabled=result.lasso is None)


def harmonisation(result: BuildResult) -> None:
    """One feature by batch before and after ComBat."""
    with st.expander("ComBat harmonisation: one feature by batch, before and after"):
        view = harmonisation_view(builder, result)
        shown = st.selectbox("Feature (selected ones first)", view.features, key="mb_combat_feature")
        chart(vega_spec(harmonisation_chart(view.before, view.after, view.batch, shown)), "harmonisation",
              "mb_harmonisation")


def models(result: BuildResult, ph: PHCheck) -> None:
    """The combined model, the clinical model and (for Cox models) the proportional-hazards check, in tabs
    of which only the open one is drawn, as the rad-score's (every table costs the browser a redraw on each
    slider move, and the clinical model does not depend on the sliders at all)."""
    st.subheader("Combined and clinical models")
    names = ["Combined model", "Clinical model", *(["Proportional hazards"] if result.endpoint.survival else [])]
    combined_tab, clinical_tab, *ph_tab = st.tabs(names, key="mb_model_view", on_change="rerun")
    if combined_tab.open:
        with combined_tab:
            combined_model(result)
    if clinical_tab.open:
        with clinical_tab:
            clinical_model(result)
    if ph_tab and ph_tab[0].open:
        with ph_tab[0]:
            st.caption("survival::cox.zph (transform km) of each Cox model on the training set: a score test per "
                       "term and GLOBAL; residual plots on Evaluation.")
            table(ph.tests, "proportional_hazards", "mb_ph")


def combined_model(result: BuildResult) -> None:
    """The combined model (rad-score and the clinical model's variables) and its LR test against the clinical model."""
    model = result.model
    table(model.combined_.table_, "combined_model", "mb_combined")
    st.caption(model.combined_.rows_used_text())
    table(result.lr_test_table(), "lr_test", "mb_lr")


def clinical_model(result: BuildResult) -> None:
    """The clinical model: univariable screen, then backward elimination."""
    model = result.model
    if model.clinical_ is None:
        st.info("No clinical variable chosen.")
        return
    st.markdown("Univariable screen")
    table(model.clinical_.univariable_, "clinical_univariable", "mb_univ")
    kept = as_text(", ".join(model.clinical_.selected_)) or "no variable kept"
    st.markdown(f"Multivariable (backward elimination): {kept}")
    table(model.clinical_.table_, "clinical_multivariable", "mb_multi")
    st.caption(model.clinical_.rows_used_text())


def save_section(result: BuildResult) -> None:
    """Save the fit shown in the registry (drawn by full runs only: a slider move does not redraw it, and
    its button's full rerun fits the current controls again before saving)."""
    with st.expander("Save this model in the registry"):
        name = st.text_input("Name", key="mb_save_name")
        notes = st.text_area("Notes", key="mb_save_notes")
        if st.button("Save", disabled=not name, key="mb_save"):
            try:
                st.success(f"Saved as {as_text(pipelines.save_build(builder, result, name, notes))}")
            except (ValueError, RuntimeError) as exc:
                st.error(as_text(exc))

shown = filters()
if shown is not None:
    save_section(shown)
history_section()
warnings_glossary("mb_glossary")

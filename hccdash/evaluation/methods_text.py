"""A methods paragraph written from the settings that produced a model (and, when given,
what the fit found: features kept per step, lambda, selected terms)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from hccdash.settings import Settings

if TYPE_CHECKING:
    from hccdash.evaluation.optimism import OptimismResult


def _join(items) -> str:
    items = [str(i) for i in items]
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1] if items else "none"


def extraction_text(settings: Settings) -> str:
    e = settings.extraction
    if e.params_yaml:
        return f"Radiomic features were extracted with pyradiomics using the parameter file {e.params_yaml}."
    spacing = ("no resampling" if e.resampled_spacing is None else
               f"resampling to {'x'.join(f'{s:g}' for s in e.resampled_spacing)} mm ({e.interpolator} for images, "
               "nearest neighbour for masks)")
    norm = (f"z-score intensity normalisation (scale {e.normalize_scale:g})" if e.normalize else "no intensity normalisation")
    types = _join(e.image_types)
    if "LoG" in e.image_types:
        types += f" (LoG sigma {_join(f'{s:g}' for s in e.log_sigma)} mm)"
    return (f"Radiomic features were extracted with pyradiomics from the {e.roi.upper()} region of interest after "
            f"{spacing}, {norm}{', N4 bias-field correction' if e.n4_bias_correction else ''}, and grey-level "
            f"discretisation with a bin width of {e.bin_width:g}; image types {types}; feature classes "
            f"{_join(e.feature_classes)}.")


def selection_text(settings: Settings, found: dict | None) -> str:
    s, m = settings.selection, settings.model
    steps = []
    if s.icc_threshold is not None:
        kind = "ICC(2,1), two-way random effects, absolute agreement" if s.icc_kind == "ICC2_1" else \
            "ICC(3,1), two-way mixed effects, consistency"
        steps.append(f"features with an intraclass correlation coefficient ({kind}, from repeat segmentations) "
                     f"below {s.icc_threshold:g} were removed")
    if s.variance_filter:
        steps.append(f"zero and near-zero variance features were removed (frequency ratio > {s.freq_cut:g} and "
                     f"unique values < {s.unique_cut:g}%)")
    if s.univariate_p is not None:
        test = {"auto": "univariable Cox regression" if m.endpoint == "rfs" else "the Mann-Whitney U test",
                "mannwhitney": "the Mann-Whitney U test", "anova": "one-way ANOVA"}.get(s.univariate_test, s.univariate_test)
        steps.append(f"features with p >= {s.univariate_p:g} in {test} were removed")
    if s.correlation_threshold is not None:
        steps.append(f"of each pair with absolute {s.correlation_method.capitalize()} correlation above "
                     f"{s.correlation_threshold:g}, the feature with the larger mean absolute correlation was removed")
    if s.mrmr_k is not None:
        steps.append(f"the top {s.mrmr_k} features by minimum redundancy maximum relevance were kept")
    if s.rf_k is not None:
        steps.append(f"the top {s.rf_k} features by random-forest importance were kept")
    family = "Cox" if m.endpoint == "rfs" else "logistic"
    folds = "leave-one-out" if s.lasso_folds == "loo" else f"{s.lasso_folds}-fold"
    rule = s.lasso_lambda if isinstance(s.lasso_lambda, str) else f"lambda = {s.lasso_lambda:.4g}"
    lasso = (f"The remaining features were z-scored with the training mean and standard deviation (reused "
             f"unchanged for validation) and entered a LASSO {family} regression, with lambda chosen as {rule} by "
             f"{folds} cross-validation (seed {s.seed})")
    if found and found.get("lambda") is not None:
        lasso += f" (lambda = {found['lambda']:.4g})"
    lasso += "; the rad-score is the linear predictor of the features with non-zero coefficients."
    text = "All selection steps used the training set only: " + "; ".join(steps) + ". " if steps else \
        "No pre-filter was applied before the LASSO. "
    if s.fusion == "scores":
        text += "A rad-score was built per phase and the phase scores were combined in one model. "
    if found and found.get("funnel"):
        text += "Features remaining after each step: " + _join(f"{k} {v}" for k, v in found["funnel"].items()) + ". "
    return text + lasso


def deep_text(settings: Settings, found: dict | None) -> str:
    """The DL score's sentence (deep features -> PCA -> LASSO), when the fit had one."""
    deep = (found or {}).get("deep")
    if not deep:
        return ""
    s = settings.selection
    kept = (f"the first {s.deep_pca_components} principal components" if s.deep_pca_components is not None
            else f"the principal components explaining {s.deep_pca_variance:.0%} of their variance")
    rule = s.deep_lasso_lambda if isinstance(s.deep_lasso_lambda, str) else f"lambda = {s.deep_lasso_lambda:.4g}"
    networks = _join(f"{name} (ONNX file SHA-256 {(sha or 'not recorded')[:12]})" for name, sha in deep["networks"].items())
    funnel = deep["funnel"]
    return (f" Deep features of {networks} formed their own block: z-scored with the training mean and standard "
            f"deviation, reduced to {kept} (PCA fitted on the training set; {funnel.get('pca', 0)} of "
            f"{funnel.get('input', 0)} kept), then a LASSO {'Cox' if settings.model.endpoint == 'rfs' else 'logistic'} "
            f"regression on the z-scored components with lambda {rule} (lambda = {deep['lambda']:.4g}) gave the DL "
            f"score from {len(deep['selected'])} component(s); the combined model added the DL score beside the "
            "rad-score.")


def models_text(settings: Settings, found: dict | None) -> str:
    m = settings.model
    if m.endpoint == "rfs":
        outcome = ("The endpoint was recurrence-free survival (time from treatment to recurrence or last "
                   f"follow-up), modelled by Cox proportional hazards regression ({m.ties.capitalize()} ties).")
        ratio = "hazard ratios"
    else:
        outcome = (f"The endpoint was early recurrence within {m.er_horizon_months:g} months (patients censored "
                   "earlier were excluded), modelled by logistic regression.")
        ratio = "odds ratios"
    clinical = (f" Clinical predictors were screened by univariable regression (p < {m.clinical_p_in:g}) and "
                f"retained by backward elimination (p < {m.clinical_p_out:g})")
    if m.clinical_dichotomise:
        clinical += (f"; {_join(m.clinical_dichotomise)} were dichotomised at the maximally selected log-rank "
                     "cut-off of the training set")
    if m.clinical_log:
        clinical += f"; {_join(m.clinical_log)} entered as the natural logarithm"
    if m.clinical_splines:
        splines = [f"{v} ({k} knots)" for v, k in m.clinical_splines]
        clinical += (f"; {_join(splines)} entered as restricted cubic splines with knots at Harrell's default "
                     "quantiles of the training values (rms::rcs)")
    clinical += (f". The combined model added the rad-score to the clinical predictors; {ratio} are reported "
                 "with Wald 95% confidence intervals, the combined model was compared with the clinical model by "
                 f"the likelihood-ratio test, and fewer than {m.epv_warning:g} events per variable were flagged.")
    if found and found.get("clinical_selected") is not None:
        chosen = found["clinical_selected"]
        clinical += f" Selected clinical predictors: {_join(chosen) if chosen else 'none'}."
    return outcome + clinical


def optimism_text(optimism: OptimismResult | None, metric: str = "C") -> str:
    """What the optimism bootstrap ran (resamples, seed, failures of THAT run), or that it was not run."""
    if optimism is None:
        return "Optimism-corrected validation by the bootstrap was not run."
    failed = f", {len(optimism.failures)} failed" if optimism.failures else ""
    return (f"Optimism was estimated by {optimism.n_boot} bootstrap resamples (seed {optimism.seed}{failed}) "
            f"repeating the whole selection and modelling pipeline (optimism-corrected {metric} = apparent {metric} "
            "minus mean optimism).")


def evaluation_text(settings: Settings, optimism: OptimismResult | None = None) -> str:
    """Discrimination, risk groups, calibration and decision curves as set, and the optimism
    bootstrap as run (``optimism``: its result, None when it was not run)."""
    ev, m = settings.evaluation, settings.model
    horizons = _join(f"{h:g}" for h in ev.horizons_months)
    cutoff = "the training median" if ev.risk_cutoff == "median" else \
        f"the maximally selected log-rank statistic (minimum group proportion {ev.maxstat_minprop:g})"
    if m.endpoint == "rfs":
        disc = (f"Discrimination was measured by Harrell's C-index with a {ev.ci_level:.0%} percentile bootstrap "
                f"confidence interval ({ev.n_bootstrap} resamples, seed {ev.seed})"
                + (" and Uno's C" if ev.uno_c else "")
                + f", and by the time-dependent AUC (cumulative/dynamic, inverse probability of censoring weights) "
                  f"at {horizons} months, each horizon reported only when at least {ev.min_at_risk} patients "
                  "remained at risk in every split. ")
        calib = (f"Calibration compared predicted survival with Kaplan-Meier estimates in {ev.calibration_groups} "
                 "quantile groups of the prediction at each horizon. ")
        dca = "Decision curves plotted the net benefit at each horizon against threshold probability. "
    else:
        disc = (f"Discrimination was measured by the ROC AUC with DeLong {ev.ci_level:.0%} confidence intervals and "
                "compared between models by the paired DeLong test; sensitivity, specificity, PPV, NPV and accuracy "
                "were computed at the Youden cut-off of the training set. ")
        calib = (f"Calibration compared predicted and observed proportions in {ev.hl_groups} groups with the "
                 "Hosmer-Lemeshow test. ")
        dca = "Decision curves plotted the net benefit against threshold probability. "
    first, last, step = ev.dca_thresholds
    return (disc + f"Patients were divided into high- and low-risk groups at {cutoff} of the score, learned on the "
            "training set and applied unchanged to validation, and compared by Kaplan-Meier curves, the log-rank "
            "test and the hazard ratio. " + calib + dca.replace("threshold probability",
                                                               f"threshold probability ({first:g} to {last:g} by {step:g})")
            + optimism_text(optimism, "C" if m.endpoint == "rfs" else "AUC"))


def methods_paragraph(settings: Settings, found: dict | None = None, optimism: OptimismResult | None = None) -> str:
    """The methods text: extraction, selection (every filter and threshold, LASSO lambda
    rule and folds), models and evaluation; ``found`` (an evaluation's ``model_summary``)
    adds what the fit selected, ``optimism`` the optimism bootstrap that was run."""
    split = settings.split
    if split.method == "random":
        design = (f"Patients were split at random into training and validation sets "
                  f"({split.train_fraction:.0%} / {1 - split.train_fraction:.0%}, stratified by event, seed {split.seed}).")
    elif split.method == "centre":
        design = f"Patients of {_join(split.validation_centres) or 'the held-out centre'} formed the external validation set."
    elif split.method == "three":
        design = (f"Three cohorts: patients of {_join(split.validation_centres) or 'the held-out centre'} formed the "
                  f"external validation set; the patients of the other centres were split at random into training and "
                  f"internal validation sets ({split.train_fraction:.0%} / {1 - split.train_fraction:.0%}, stratified "
                  f"by event, seed {split.seed}).")
    else:
        design = "No separate validation set was held out."
    return " ".join([design, extraction_text(settings), selection_text(settings, found) + deep_text(settings, found),
                     models_text(settings, found),
                     evaluation_text(settings, optimism)])

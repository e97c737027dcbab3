"""TRIPOD (2015, development and validation) and CLEAR (radiomics) checklists, filled from
what the app knows about a model and its evaluation; every item it cannot know (title,
ethics, blinding, imaging protocol, interpretation, funding, ...) is marked for the author.

The item wording is abridged; the full statements are in the TRIPOD explanation and
elaboration paper (Moons et al., Ann Intern Med 2015) and the CLEAR paper (Kocak et al.,
Insights Imaging 2023).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pandas as pd

from hccdash.evaluation.methods_text import (evaluation_text, extraction_text, models_text, optimism_text,
                                             selection_text)
from hccdash.evaluation.summary import Evaluation

if TYPE_CHECKING:
    from hccdash.evaluation.optimism import OptimismResult

AUTHOR = "for the author"
FILLED = "filled by hccdash"
Filler = Callable[[Evaluation, "OptimismResult | None"], str] | None


def _split_text(e: Evaluation) -> str:
    s = e.settings.split
    n = e.model_summary["n"]
    how = {"random": f"random {s.train_fraction:.0%} / {1 - s.train_fraction:.0%} split stratified by event "
                     f"(seed {s.seed})",
           "centre": f"split by centre (validation: {', '.join(s.validation_centres) or 'held-out centre'})",
           "three": f"three cohorts: external validation on {', '.join(s.validation_centres) or 'held-out centre'}, "
                    f"training and internal validation by a random {s.train_fraction:.0%} / {1 - s.train_fraction:.0%} "
                    f"split of the other centres stratified by event (seed {s.seed})",
           "none": "no split"}.get(s.method, s.method)
    names = e.set_names
    return f"{how}; " + ", ".join(f"{names.get(k, k)} n = {v}" for k, v in n.items())


def _sizes(e: Evaluation, _o: "OptimismResult | None" = None) -> str:
    n, events, names = e.model_summary["n"], e.model_summary["events"], e.set_names
    text = "; ".join(f"{names.get(k, k)}: {n[k]} patients, {events[k]} recurrences" for k in n)
    return f"{text}; events per variable of the combined model {e.model_summary['epv']:.1f}"


def _performance(e: Evaluation, _o: "OptimismResult | None" = None) -> str:
    rows = [f"{r.model} {r.split}: {e.metric_name} {getattr(r, e.metric_column):.3f} ({r.lower:.3f}-{r.upper:.3f})"
            for r in e.named(e.discrimination).itertuples()]
    if len(e.time_auc):
        rows += [f"{r.model} {r.split} AUC({r.horizon:g} mo) {r.auc:.3f}" for r in e.named(e.time_auc).itertuples()]
    return "; ".join(rows)


def _model_text(e: Evaluation, _o: "OptimismResult | None" = None) -> str:
    f = e.forest[e.forest["model"] == "combined"]
    terms = ", ".join(f"{t} {r:.3g} ({lo:.3g}-{hi:.3g})" for t, r, lo, hi in zip(f["term"], f["ratio"], f["lower"], f["upper"]))
    return f"Rad-score: {e.model_summary['formula']}. Combined model ({f['measure'].iloc[0]}s): {terms}"


def _risk_text(e: Evaluation, _o: "OptimismResult | None" = None) -> str:
    rg = e.risk_groups.get("combined")
    if rg is None:
        return "no combined model"
    return (f"combined score cut at {rg.cutoff:.4g} ({'training median' if rg.method == 'median' else 'maximally selected log-rank'}, "
            "from training only, applied unchanged to validation)")


def _continuous_handling(m) -> str:
    """How continuous clinical predictors entered: dichotomised, log, spline or linear."""
    parts = []
    if m.clinical_dichotomise:
        parts.append(f"dichotomised at the training maxstat cut-off: {', '.join(m.clinical_dichotomise)}")
    if m.clinical_log:
        parts.append(f"natural log: {', '.join(m.clinical_log)}")
    if m.clinical_splines:
        parts.append("restricted cubic splines (rms::rcs, Harrell's knots): "
                     + ", ".join(f"{v} ({k} knots)" for v, k in m.clinical_splines))
    return "; ".join(parts) + ("; others linear" if parts else "continuous clinical predictors kept linear")


TRIPOD: tuple[tuple[str, str, Filler], ...] = (
    ("1", "Title: development and/or validation, population, outcome", None),
    ("2", "Abstract: summary of objectives, design, setting, participants, predictors, outcome, analysis, results", None),
    ("3a", "Background and rationale, existing models", None),
    ("3b", "Objectives: development and/or validation", None),
    ("4a", "Source of data (cohort, registry) for development and validation", lambda e, o: _split_text(e)),
    ("4b", "Key study dates: accrual, end of follow-up", None),
    ("5a", "Setting and centres", lambda e, o: "centres: " + ", ".join(map(str, e.by_centre["centre"].unique()))
     if e.by_centre is not None else None),
    ("5b", "Eligibility criteria", None),
    ("5c", "Treatments received", None),
    ("6a", "Outcome definition, how and when assessed", lambda e, o: models_text(e.settings, None).split(". ")[0] + "."),
    ("6b", "Blinding of outcome assessment", None),
    ("7a", "Predictors: definition, how and when measured", lambda e, o: extraction_text(e.settings)
     + f" Clinical candidates: {', '.join(e.clinical_vars) or 'none'}."),
    ("7b", "Blinding of predictor assessment", None),
    ("8", "Sample size", _sizes),
    ("9", "Missing data handling", lambda e, o: "complete-case: patients with a missing model input are left out of "
     "that model's fit and evaluation"),
    ("10a", "Handling of predictors in the analysis", lambda e, o: "radiomic features z-scored with training mean/sd; "
     + _continuous_handling(e.settings.model)),
    ("10b", "Model type, model building, predictor selection", lambda e, o: selection_text(e.settings, e.model_summary)
     + " " + models_text(e.settings, e.model_summary)),
    ("10c", "Validation: how predictions were calculated", lambda e, o: "fitted training model applied unchanged "
     "(training standardisation, coefficients, baseline survival and cut-offs)"),
    ("10d", "Measures of performance and model comparison", lambda e, o: evaluation_text(e.settings, o)),
    ("10e", "Model updating after validation", None),
    ("11", "Risk groups", _risk_text),
    ("12", "Development vs validation: differences in setting, eligibility, outcome, predictors", None),
    ("13a", "Participant flow, numbers with and without the outcome, follow-up", _sizes),
    ("13b", "Characteristics of participants (Table 1)", lambda e, o: "Table 1 is on the Cohort import page"),
    ("13c", "Comparison of development and validation data", None),
    ("14a", "Number of participants and events in each analysis", _sizes),
    ("14b", "Unadjusted association of each candidate predictor with the outcome", lambda e, o: "univariable table on "
     "the Model building page"),
    ("15a", "Full prediction model (all coefficients, intercept or baseline survival)", _model_text),
    ("15b", "How to use the model", lambda e, o: "nomogram (Evaluation page) and patient calculator"),
    ("16", "Model performance measures with CIs", _performance),
    ("17", "Results of model updating", None),
    ("18", "Limitations", None),
    ("19a", "Interpretation of validation results vs development", None),
    ("19b", "Overall interpretation", None),
    ("20", "Clinical use and implications for research", None),
    ("21", "Supplementary information (protocol, code, data)", None),
    ("22", "Funding", None),
)

CLEAR: tuple[tuple[str, str, Filler], ...] = (
    ("Title / abstract", "Radiomics and the modality in the title; structured abstract", None),
    ("Introduction", "Scientific background, rationale and objectives", None),
    ("Study design", "Adherence to reporting guidelines, ethics approval, consent", None),
    ("Study design", "Sample size and power", _sizes),
    ("Data", "Data source(s), eligibility, centres and dates", lambda e, o: _split_text(e)),
    ("Data", "Reference standard / outcome definition", lambda e, o: models_text(e.settings, None).split(". ")[0] + "."),
    ("Imaging", "Scanner, acquisition and reconstruction protocol", None),
    ("Segmentation", "Segmentation method, software, readers and their experience", None),
    ("Segmentation", "Reproducibility of segmentation (repeat readers, ICC)", lambda e, o: (
        f"{e.settings.selection.icc_kind} per feature from repeat segmentations; threshold "
        f"{e.settings.selection.icc_threshold:g}") if e.settings.selection.icc_threshold is not None else "not assessed"),
    ("Pre-processing", "Resampling, normalisation, discretisation, filters", lambda e, o: extraction_text(e.settings)),
    ("Feature extraction", "Software and version, IBSI compliance, feature classes and image types",
     lambda e, o: "pyradiomics (version in the extraction diagnostics); " + extraction_text(e.settings)),
    ("Data preparation", "Missing data handling and harmonisation", lambda e, o: "complete cases; no harmonisation "
     "applied by hccdash"),
    ("Modelling", "Feature selection / dimension reduction, with data used", lambda e, o: selection_text(e.settings, e.model_summary)),
    ("Modelling", "Algorithm, hyper-parameter tuning (lambda, folds)", lambda e, o: models_text(e.settings, e.model_summary)),
    ("Modelling", "Clinical and combined models", lambda e, o: _model_text(e)),
    ("Evaluation", "Performance metrics with uncertainty", _performance),
    ("Evaluation", "Calibration and clinical utility (decision curves)", lambda e, o: evaluation_text(e.settings, o)),
    ("Evaluation", "Internal validation (optimism) and external validation", lambda e, o: _split_text(e)
     + f"; {optimism_text(o, e.metric_name)}"),
    ("Evaluation", "Comparison with a non-radiomic (clinical) model", lambda e, o: "likelihood-ratio test combined vs "
     f"clinical: chi2 {e.model_summary['lr_test_vs_clinical'][0]:.2f}, df {e.model_summary['lr_test_vs_clinical'][1]:g}, "
     f"p {e.model_summary['lr_test_vs_clinical'][2]:.3g}"),
    ("Results", "Baseline demographics and flow", _sizes),
    ("Results", "Final model and its features", _model_text),
    ("Discussion", "Limitations, interpretation, clinical relevance", None),
    ("Open science", "Data availability", None),
    ("Open science", "Code availability", lambda e, o: "hccdash settings (report appendix) reproduce the pipeline"),
    ("Open science", "Model availability", lambda e, o: "JSON model file from the Model registry"),
)


def _fill(items, evaluation: Evaluation, optimism: "OptimismResult | None", first: str) -> pd.DataFrame:
    rows = []
    for key, text, filler in items:
        content = filler(evaluation, optimism) if filler is not None else None
        rows.append({first: key, "item": text, "status": FILLED if content else AUTHOR, "content": content or ""})
    return pd.DataFrame(rows)


def tripod_checklist(evaluation: Evaluation, optimism: "OptimismResult | None" = None) -> pd.DataFrame:
    """TRIPOD items: item number, abridged wording, status, what the app reports (the
    optimism bootstrap as run, or that it was not)."""
    return _fill(TRIPOD, evaluation, optimism, "number")


def clear_checklist(evaluation: Evaluation, optimism: "OptimismResult | None" = None) -> pd.DataFrame:
    """CLEAR topics: section, abridged item, status, what the app reports (the optimism
    bootstrap as run, or that it was not)."""
    return _fill(CLEAR, evaluation, optimism, "section")

"""Every kind of warning the import, modelling, evaluation and calculator steps give, in one
table: what it means and what to do.

The steps emit plain sentences naming their numbers (``CombinedModel.warnings_``,
``BuildResult.warnings``, ``Evaluation.notes``, ...). :data:`GLOSSARY` holds one
:class:`WarningKind` per kind of sentence, recognised by a regular expression; pages show
:func:`group_warnings` (one box per kind, however many models, splits or phases repeat it)
and :func:`glossary_table` (the glossary section). A sentence no kind recognises falls in
:data:`OTHER`, which says so, and ``tests/test_warning_glossary.py`` fails for any warning
sentence of the library that lands there.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class WarningKind:
    """One kind of warning: a short title, the step that gives it, the pattern of its sentences,
    what it means and what to do."""

    kind: str
    title: str
    step: str
    pattern: str  # re.search on the sentence
    meaning: str
    action: str

    def matches(self, message: str) -> bool:
        return re.search(self.pattern, message) is not None


GLOSSARY: tuple[WarningKind, ...] = (
    WarningKind(
        "time_unit", "Implausible follow-up for the time unit", "Cohort import: column mapping",
        r"implausible for a follow-up|median follow-up is .* with the time unit",
        "Read in the chosen unit the follow-up times are implausibly long or short (TTP in weeks read as "
        "months gives a longest follow-up of 19 years): every time, horizon and survival estimate would be off "
        "by the ratio of the units.",
        "Choose the unit the message proposes (or the one the data dictionary gives) before importing."),
    WarningKind(
        "after_baseline", "Predictor measured after baseline", "Cohort import: variables",
        r"[Mm]easured after baseline",
        "A column measured after treatment (follow-up value, interval to follow-up, treatment response such as "
        "mRECIST) is chosen as a predictor: a model using it predicts with information not known at baseline "
        "(leakage) and looks better than it is.",
        "Untick it as a predictor unless it was in fact measured at baseline."),
    WarningKind(
        "null_lasso", "LASSO selected no feature", "Model building: LASSO",
        r"No feature survives at lambda",
        "At the chosen lambda every LASSO coefficient is zero: the rad-score is the same for every patient.",
        "Choose a smaller lambda (lambda.min rather than lambda.1se, or move the lambda slider left), loosen "
        "the filters before LASSO, or accept that the features carry no signal here."),
    WarningKind(
        "flat_cv", "Cross-validation curve is flat", "Model building: LASSO",
        r"cross-validation curve is flat",
        "The model with no feature is within one standard error of the best cross-validated fit: no lambda "
        "predicts measurably better than chance.",
        "Treat the rad-score as unproven: check the endpoint and the events, try more folds or leave-one-out, "
        "and report the clinical model as the main result."),
    WarningKind(
        "null_signature", "No radiomic (or deep) signature", "Model building: filters and rad-score",
        r"No feature survives the filters|No phase keeps a feature|score is constant|is constant \(null signature\)",
        "No feature is left after the filters (or the score is the same for every training patient): the "
        "combined model leaves the score out and the radiomics model is not evaluated.",
        "Loosen the filters (ICC threshold, univariate p, correlation threshold, mRMR k) or check the "
        "extracted features of the chosen phases."),
    WarningKind(
        "null_model", "Combined model has no predictor", "Model building: combined model",
        r"No predictor is left",
        "Neither a clinical variable nor a score is left: the model predicts the same risk for everyone.",
        "Choose clinical variables, raise the screening p_in, or loosen the feature filters."),
    WarningKind(
        "low_epv", "Few events per model term", "Model building: clinical and combined models",
        r"events per model term",
        "The model has fewer events per estimated coefficient than the threshold (model.epv_warning, 10 by "
        "default): its coefficients are unstable and its apparent performance optimistic.",
        "Use fewer terms (fewer clinical variables, force fewer in, stricter p_out), pool centres, or read "
        "the optimism-corrected C of Evaluation rather than the apparent one."),
    WarningKind(
        "clinical_left_out", "Clinical variable left out", "Model building: clinical model",
        r"Clinical variable '.*' left out",
        "A chosen clinical variable cannot enter the model on the training patients (for example a single "
        "level, or no variation), so it was left out.",
        "Check the variable's values in the training split, merge rare levels at import, or remove it from "
        "the clinical variables."),
    WarningKind(
        "icc_skipped", "ICC filter skipped", "Model building: ICC filter",
        r"No repeat segmentations",
        "The cohort has no second reader's masks, so the reproducibility (ICC) filter could not run.",
        "Import a second reader's masks (reader 2 in the manifest) and extract them, or switch the ICC filter "
        "off and say so in the methods."),
    WarningKind(
        "icc_missing", "Features without repeat data kept", "Model building: ICC filter",
        r"no repeat data for the ICC",
        "Some features have no value from the repeat segmentation, so their ICC is unknown; they were kept.",
        "Set 'Features without repeat data' to drop to keep only features shown to be reproducible, or "
        "extract the repeat masks with the same settings."),
    WarningKind(
        "combat_partial", "ComBat adjusted only partly", "Model building: ComBat harmonisation",
        r"ComBat (left|used its mean-only)",
        "ComBat could not estimate every batch effect: features constant within a centre were left as they "
        "are, or a centre with one training patient got a mean-only adjustment.",
        "Check the centres' sizes in the training split; merge very small centres or choose a reference batch."),
    WarningKind(
        "model_not_evaluated", "Model not evaluated", "Evaluation: models",
        r"^(Clinical|Radiomics|DL score) model: .*(not evaluated|none to evaluate)",
        "One of the clinical, radiomics or DL score models does not exist for this fit, so Evaluation shows the "
        "others only.",
        "Choose clinical variables, or loosen the feature filters, on Model building."),
    WarningKind(
        "horizon_left_out", "Horizon left out", "Evaluation: time-dependent measures",
        r"months left out: |No horizon has enough patients at risk",
        "Too few patients are still followed at this horizon in some split (evaluation.min_at_risk) for "
        "time-dependent AUC, Brier score, calibration and decision curves to be estimated.",
        "Choose an earlier horizon, or evaluate on a cohort with longer follow-up."),
    WarningKind(
        "proportional_hazards", "Proportional hazards fail",
        "Model building and Evaluation: proportional hazards (Cox models)",
        r"^Proportional hazards: ",
        "The cox.zph test finds that a hazard ratio changes over follow-up (p < 0.05): the single hazard ratio "
        "of the model is an average over time.",
        "Look at the Schoenfeld residual plots; consider stratifying by the failing variable, a time-varying "
        "effect, or reporting the hazard ratio as an average over follow-up."),
    WarningKind(
        "extrapolation", "Input outside the training data", "Patient calculator: inputs",
        r"outside the training range|far from the training data",
        "A value (or the patient's combination of radiomic features) lies outside what the model was trained on: "
        "the prediction extrapolates, and its confidence interval understates the uncertainty.",
        "Check the value and its unit; if it is right, read the prediction with caution and say it was an "
        "extrapolation."),
    WarningKind(
        "rad_score_mismatch", "Typed rad-score differs from the features", "Patient calculator: inputs",
        r"differs from the rad-score",
        "The rad-score typed in differs from the one computed from the radiomic features in the same row; the "
        "typed value is used.",
        "Leave the rad-score empty to use the features, or check which of the two is right."),
    WarningKind(
        "patient_id", "Blank or repeated patient id", "Patient calculator: several patients (predict)",
        r"blank patient id|repeated patient id",
        "A row has no patient id, or an id appears in several rows with the same inputs: the rows are predicted "
        "but cannot be told apart in the output.",
        "Give every row its own patient id."),
    WarningKind(
        "hosmer_lemeshow", "Hosmer-Lemeshow p unreliable", "Evaluation: calibration (logistic models)",
        r"^Hosmer-Lemeshow, ",
        "Some risk groups expect fewer than one event or non-event, or there are fewer than 10 events: the "
        "chi-square approximation of the Hosmer-Lemeshow test fails and its p-value means little.",
        "Judge calibration from the calibration plot, slope and intercept; use fewer groups "
        "(evaluation.hl_groups) or a larger validation set."),
)
OTHER = WarningKind(
    "other", "Other warning", "any", r"", "A warning without a glossary entry yet.",
    "Read the message; please report it so that it gets an entry.")
_BY_KIND = {k.kind: k for k in GLOSSARY}


def kind_of(message: str) -> WarningKind:
    """The glossary entry whose pattern finds ``message`` (the first one), else :data:`OTHER`."""
    return next((k for k in GLOSSARY if k.matches(str(message))), OTHER)


@dataclass(frozen=True)
class WarningGroup:
    """The messages of one kind, in the order given (repeats dropped)."""

    kind: WarningKind
    messages: tuple[str, ...]


def group_warnings(messages: Iterable[str]) -> list[WarningGroup]:
    """One group per kind, kinds in the order of their first message, each message once."""
    groups: dict[str, list[str]] = {}
    kinds: dict[str, WarningKind] = {}
    for message in messages:
        kind = kind_of(message)
        kinds[kind.kind] = kind
        found = groups.setdefault(kind.kind, [])
        if message not in found:
            found.append(str(message))
    return [WarningGroup(kinds[k], tuple(v)) for k, v in groups.items()]


def glossary_table() -> pd.DataFrame:
    """The glossary as a table: warning, step, what it means, what to do."""
    return pd.DataFrame([{"warning": k.title, "step": k.step, "what it means": k.meaning, "what to do": k.action}
                         for k in GLOSSARY])

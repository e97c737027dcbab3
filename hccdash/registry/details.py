"""A registered model in words and numbers for the registry page and the reports: what it
predicts, its formula, the scale of its linear predictor (:func:`lp_note`), its training data,
cut-off and inputs (:func:`model_summary`), and each term's coefficient with its hazard or odds
ratio and Wald CI (:func:`term_table`)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from hccdash.display import with_unit
from hccdash.evaluation.risk_groups import cutoff_description
from hccdash.metric_names import discrimination_metric
from hccdash.registry.json_model import JsonModel
from hccdash.registry.model_file import lineage_text
from hccdash.settings import CalculatorSettings
from hccdash.stats.wald import wald_table


LP_NOTE_COX = "linear predictor b'x, not centred; R's predict(coxph) subtracts the training means"
LP_NOTE_LOGISTIC = "linear predictor a + b'x, the logit of the ER probability"


def lp_note(model: JsonModel) -> str:
    """What the linear predictor shown (and the cut-off) is: Cox b'x uncentred, logistic the logit."""
    return LP_NOTE_COX if model.family == "cox" else LP_NOTE_LOGISTIC


def term_table(model: JsonModel, level: float = CalculatorSettings().ci_level) -> pd.DataFrame:
    """One row per model term: input (with unit), then the Wald table of
    :func:`hccdash.stats.wald_table` (coef, the hazard (Cox) or odds (logistic) ratio ``hr`` /
    ``or`` = exp(b) with its CI exp(b -/+ z se) at ``level``, 95% by default, se, z, p; se
    from the stored covariance), and the training mean."""
    terms = model.terms
    order = list(terms.index) if model.family == "cox" else ["intercept", *terms.index]
    se = pd.Series(np.sqrt(np.diag(np.asarray(model.spec["model"]["covariance"], float))), index=order)[terms.index]
    predictors = model.predictors
    table = wald_table(terms["coef"].astype(float), se, level, "hr" if model.family == "cox" else "or")
    table.insert(0, "input", [with_unit(predictors.at[p, "label"], predictors.at[p, "unit"]) for p in terms["predictor"]])
    table.insert(0, "term", terms.index)
    table["training mean"] = terms["mean"].astype(float)
    return table.reset_index(drop=True)


def formula_text(model: JsonModel) -> str:
    """The model with its coefficients, e.g. ``h(t | x) = h0(t) exp(0.0213 * [age] - 0.5 * [afp > 400])``
    (each term in brackets: an indicator term is 1 when true)."""
    body = " ".join(f"{'-' if b < 0 else '+'} {abs(b):.4g} * [{name}]" for name, b in model.coef.items())
    if model.family == "cox":
        return f"h(t | x) = h0(t) exp({body.removeprefix('+ ')})"
    return f"logit P(ER) = {model.spec['model']['intercept']:.4g} {body}"


def model_summary(model: JsonModel, metrics: dict | None = None) -> pd.DataFrame:
    """Readable lines of a registered model (index: item, one ``value`` column of text): what it
    predicts, formula, the linear predictor's scale, training data, C-index (AUC for a logistic
    model; ``metrics``, default the model file's), risk-group cut-off, the inputs' units, an updated
    model's updates, the rad-score and the DL score with the network file it needs."""
    training, endpoint = model.spec["training"], model.spec["endpoint"]
    key, label = discrimination_metric(model.family)
    metrics = metrics or model.spec["metrics"] or {}
    discrimination = metrics.get(key) or metrics.get("c_index") or {}  # an ER model saved before 'auc': 'c_index'

    groups = model.spec["risk_groups"]
    units = [f"{with_unit(p['label'], p['unit'])}" for p in model.spec["predictors"] if p["kind"] != "categorical"]
    rows = [
        ("Model", f"{model.name} ({model.spec['model']['submodel']}, {'Cox' if model.family == 'cox' else 'logistic'})"),
        ("Predicts", prediction_title(model) + (f" at {', '.join(f'{h:g}' for h in model.horizons)} months"
                                     if model.family == "cox" else "")),
        ("Formula", formula_text(model)),
        ("Linear predictor", lp_note(model)),
        ("Training cohort", f"{training['cohort'] or '-'}: {training['n']} patients, {training['events']} events"),
        (label, ", ".join(f"{split} {value:.3f}" for split, value in discrimination.items()
                          if isinstance(value, (int, float))) or "-"),
        ("Risk-group cut-off", f"{', '.join(f'{c:.4g}' for c in groups['cutoffs'])} "
                               f"({cutoff_description(groups['method'])}) on the {lp_note(model)}; "
                               f"groups {' / '.join(groups['labels'])}, the lower one at or below it"),
        ("Inputs (units)", ", ".join(units) or "-"),
        ("Time unit", endpoint["time_unit"]),
    ]
    if model.spec.get("lineage"):
        rows.append(("Updated", lineage_text(model.spec["lineage"])))
    if model.spec["radiomics"] is not None:
        rows.append(("Rad-score", f"{model.spec['radiomics']['intercept']:.4g} + sum of coef x (feature - mean) / sd "
                                  f"over {len(model.features)} radiomic features"))
    if model.deep is not None:
        networks = ", ".join(f"{name} (ONNX file SHA-256 {sha})" for name, sha in model.networks.items())
        rows.append(("DL score", f"{len(model.deep.coef)} principal component(s) of {len(model.deep.mean)} deep "
                                 f"features; needs the network {networks}"))
    return pd.DataFrame(rows, columns=["item", "value"]).set_index("item")


def prediction_title(model: JsonModel) -> str:
    """What the model predicts, e.g. "Predicted recurrence-free survival"."""
    endpoint = "recurrence-free survival" if model.family == "cox" else (
        f"early recurrence within {model.spec['endpoint']['er_horizon']:g} months")
    return f"Predicted {endpoint}"

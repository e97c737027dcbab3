"""The final combined model validated by the bootstrap as ``rms::validate`` and ``rms::calibrate``.

The model checked is the combined model as fitted (its columns: the clinical model's codings
and the rad-score as one fixed column, complete cases of the training set), refitted in each
resample with the same columns; selection is NOT repeated (rms's ``validate(fit)`` without
``bw``; the Optimism tab's background run repeats the whole pipeline for C). The resamples
are the optimism run's: :func:`hccdash.evaluation.optimism.resample_indices` with
``evaluation.optimism_resamples`` and ``evaluation.seed``, drawn over the training rows the
model uses (the same rows as the optimism run when no training patient has a missing value).

- :func:`validation_indices`: Dxy, R2 (Nagelkerke), Slope (and Intercept for ER) with apparent,
  optimism and corrected values (:func:`hccdash.stats.validate_cph` / ``validate_lrm``), plus
  the C-index (AUC for ER) as C = (Dxy + 1) / 2 of each column;
- :func:`bootstrap_calibration`: Cox, ``calibrate(cmethod = "KM", u = horizon, m)`` with
  m = n // ``evaluation.calibration_groups`` patients per group; ER, ``calibrate(lrm)``'s lowess
  curve (:func:`hccdash.stats.calibrate_cph` / ``calibrate_lrm``). :func:`calibration_curves`
  gives the apparent and bias-corrected curves in long form for the chart and the CSV.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from hccdash import stats
from hccdash.evaluation.data import SplitData
from hccdash.evaluation.optimism import resample_indices
from hccdash.modeling.pipeline import RadiomicsNomogram
from hccdash.selection.target import binary_array, survival_arrays
from hccdash.settings import EvaluationSettings


def _final_design(model: RadiomicsNomogram, train: SplitData) -> tuple[pd.DataFrame, np.ndarray]:
    """The combined model's columns on the training rows with every value, and those rows' mask."""
    if model.combined_.model_ is None:
        raise ValueError("The combined model is the null model (no predictor): there is nothing to validate")
    design = model.combined_design(train.frame)
    rows = design.notna().all(axis=1).to_numpy()
    return design[rows].astype(float), rows


def _resamples(n: int, settings: EvaluationSettings, n_boot: int | None) -> list[np.ndarray]:
    return resample_indices(n, settings.optimism_resamples if n_boot is None else int(n_boot), settings.seed)


def validation_indices(model: RadiomicsNomogram, train: SplitData, settings: EvaluationSettings,
                       n_boot: int | None = None) -> pd.DataFrame:
    """rms::validate's table of the final model (module docstring): rows C-index / AUC, Dxy, R2,
    Slope (Intercept); columns index.orig, training, test, optimism, index.corrected, n."""
    X, rows = _final_design(model, train)
    resamples = _resamples(len(X), settings, n_boot)
    if model.is_survival:
        time, event = survival_arrays(train.y[rows])
        table = stats.validate_cph(X, time, event, resamples, model.settings.model.ties)
        metric = "C-index"
    else:
        table = stats.validate_lrm(X, binary_array(train.y[rows]), resamples)
        metric = "AUC"
    c = (table.loc[["Dxy"]] + 1) / 2
    c[["optimism", "n"]] = [table.at["Dxy", "optimism"] / 2, table.at["Dxy", "n"]]
    c.index = pd.Index([metric], name="index")
    return pd.concat([c, table]).rename_axis("index").reset_index()


def bootstrap_calibration(model: RadiomicsNomogram, train: SplitData, settings: EvaluationSettings,
                          horizon: float | None = None, n_boot: int | None = None) -> pd.DataFrame:
    """rms::calibrate's table of the final model (module docstring); Cox needs ``horizon`` (months)."""
    X, rows = _final_design(model, train)
    resamples = _resamples(len(X), settings, n_boot)
    if model.is_survival:
        if horizon is None:
            raise ValueError("A Cox model's calibration curve needs a horizon (months)")
        time, event = survival_arrays(train.y[rows])
        m = max(2, len(X) // settings.calibration_groups)
        return stats.calibrate_cph(X, time, event, float(horizon), resamples, m, model.settings.model.ties)
    return stats.calibrate_lrm(X, binary_array(train.y[rows]), resamples)


def calibration_curves(table: pd.DataFrame) -> pd.DataFrame:
    """Long form of a :func:`bootstrap_calibration` table: predicted, observed, curve
    ("apparent" or "bias-corrected"), n (resamples behind the correction)."""
    if "KM" in table.columns:
        predicted, apparent, corrected = table["mean.predicted"], table["KM"], table["KM.corrected"]
    else:
        predicted, apparent, corrected = table["predy"], table["calibrated.orig"], table["calibrated.corrected"]
    return pd.concat([
        pd.DataFrame({"predicted": predicted, "observed": apparent, "curve": "apparent", "n": table["n"]}),
        pd.DataFrame({"predicted": predicted, "observed": corrected, "curve": "bias-corrected", "n": table["n"]}),
    ], ignore_index=True)

"""The final model's rms::validate / rms::calibrate tables on the Evaluation page's data: the
optimism run's resamples, the stats functions on the combined model's own columns."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hccdash import stats
from hccdash.evaluation.bootstrap_validation import bootstrap_calibration, calibration_curves, validation_indices
from hccdash.evaluation.data import prepare
from hccdash.evaluation.optimism import resample_indices
from hccdash.selection.target import binary_array, survival_arrays

B = 15


def _final(result, builder):
    data = prepare(result, builder)
    model, train = data.model, data.train
    design = model.combined_design(train.frame).dropna()
    rows = train.frame.index.get_indexer(design.index)
    return model, train, design, rows


def test_cox_indices_are_validate_cph_on_the_combined_columns_with_the_optimism_resamples(builder, rfs_result):
    model, train, design, rows = _final(rfs_result, builder)
    settings = model.settings.evaluation
    table = validation_indices(model, train, settings, n_boot=B).set_index("index")
    time, event = survival_arrays(train.y[rows])
    expected = stats.validate_cph(design, time, event, resample_indices(len(design), B, settings.seed))
    pd.testing.assert_frame_equal(table.loc[["Dxy", "R2", "Slope"]], expected, check_names=False)
    # C = (Dxy + 1) / 2: the apparent C is Harrell's C of the combined linear predictor
    apparent_c = stats.harrell_c(time, event, model.combined_.model_.predict(design))
    assert table.at["C-index", "index.orig"] == pytest.approx(apparent_c, abs=1e-12)
    assert table.at["C-index", "index.corrected"] == (table.at["Dxy", "index.corrected"] + 1) / 2
    assert table.at["Slope", "index.corrected"] < 1  # a fitted model shrinks in new data


def test_er_indices_and_lowess_calibration(builder, er_result):
    model, train, design, rows = _final(er_result, builder)
    settings = model.settings.evaluation
    table = validation_indices(model, train, settings, n_boot=B).set_index("index")
    assert list(table.index) == ["AUC", "Dxy", "R2", "Intercept", "Slope"]
    assert table.at["AUC", "index.orig"] == stats.auc(binary_array(train.y[rows]),
                                                      model.combined_.model_.predict(design))
    calib = bootstrap_calibration(model, train, settings, n_boot=B)
    expected = stats.calibrate_lrm(design, binary_array(train.y[rows]), resample_indices(len(design), B, settings.seed))
    pd.testing.assert_frame_equal(calib, expected)
    curves = calibration_curves(calib)
    assert set(curves["curve"]) == {"apparent", "bias-corrected"} and len(curves) == 2 * len(calib)


def test_cox_calibration_groups_follow_the_setting(builder, rfs_result):
    model, train, design, _ = _final(rfs_result, builder)
    settings = model.settings.evaluation
    calib = bootstrap_calibration(model, train, settings, horizon=12.0, n_boot=B)
    assert len(calib) == settings.calibration_groups  # m = n // groups patients per group
    assert np.allclose(calib["KM.corrected"], calib["KM"] - calib["mean.optimism"], equal_nan=True)


def test_the_report_lists_the_final_model_tables(builder, rfs_result, rfs_evaluation):
    from hccdash.evaluation.report import report_content

    model, train, _, _ = _final(rfs_result, builder)
    table = validation_indices(model, train, model.settings.evaluation, n_boot=5)
    content = report_content(rfs_evaluation, "t", bootstrap=[("rms::validate of the final model", table)])
    assert ("rms::validate of the final model", table) in [(h, f) for h, f in content.tables if h.startswith("rms::")]

"""evaluate(): each table equals the R-checked statistic applied to the right patients and
predictions; training-only rules hold (Youden cut-off, radiomics recalibration)."""

from __future__ import annotations

import numpy as np
import pytest

from hccdash import stats
from hccdash.evaluation.decision import thresholds


def _chisq_p(test) -> tuple[float, float]:
    return test.chisq, test.p


def test_c_index_is_bootstrap_c_of_each_models_linear_predictor(rfs_evaluation, builder, rfs_result):
    e = rfs_evaluation
    assert e.models == ["clinical", "radiomics", "combined"] and e.splits == ["train", "validation"]
    row = e.discrimination.set_index(["model", "split"]).loc[("combined", "validation")]
    ids = rfs_result.validation_index
    lp = rfs_result.model.predict(builder.frame(ids, rfs_result.clinical_vars))
    outcome = builder.data(rfs_result.endpoint)[0]
    rows = outcome.index.get_indexer(ids)
    ev = e.settings.evaluation
    expected = stats.bootstrap_c(outcome.time[rows], outcome.event[rows], lp, ev.n_bootstrap, ev.seed)
    assert (row["c_index"], row["lower"], row["upper"]) == pytest.approx(tuple(expected))
    # the combined C on training equals what model building reported
    train_c = e.discrimination.set_index(["model", "split"]).loc[("combined", "train"), "c_index"]
    assert train_c == pytest.approx(rfs_result.discrimination.loc["combined", "train"])


def test_radiomics_model_is_a_cox_fit_of_the_rad_score_on_training(rfs_evaluation, rfs_result, builder):
    p = rfs_evaluation.predictions[("radiomics", "train")]
    rad = rfs_result.model.rad_score(builder.frame(p.ids, ())).to_numpy()
    fit = stats.cox_fit(rad[:, None], p.time, p.event)
    assert p.lp == pytest.approx(fit.coef_.iloc[0] * rad)
    assert p.surv[:, 0] == pytest.approx(fit.predict_survival(rad[:, None], [12.0])[:, 0])


def test_time_auc_and_calibration_use_the_offered_horizons(rfs_evaluation):
    e = rfs_evaluation
    p = e.predictions[("combined", "validation")]
    auc = e.time_auc.query("model == 'combined' and split == 'validation'")["auc"].to_numpy()
    assert auc == pytest.approx(stats.time_dependent_auc(p.time, p.event, p.lp, [12.0, 24.0]))
    table = e.calibration.query("model == 'combined' and split == 'validation' and horizon == 24")
    expected = stats.calibration_survival(p.time, p.event, p.surv[:, 1], 24.0, 4)
    assert table["observed"].to_numpy() == pytest.approx(expected["observed"].to_numpy())
    assert table["mean_predicted"].to_numpy() == pytest.approx(expected["mean_predicted"].to_numpy())


def test_decision_curve_holds_the_models_net_benefit(rfs_evaluation):
    e = rfs_evaluation
    p = e.predictions[("radiomics", "train")]
    pts = thresholds(e.settings.evaluation.dca_thresholds)
    curve = e.decision.query("model == 'radiomics' and split == 'train' and horizon == 12")
    expected = stats.net_benefit_survival(p.time, p.event, 1 - p.surv[:, 0], 12.0, pts)
    assert curve["net_benefit"].to_numpy() == pytest.approx(expected["model"].to_numpy())
    assert curve["treat_all"].to_numpy() == pytest.approx(expected["treat_all"].to_numpy())


def test_logistic_metrics_use_the_training_youden_cutoff(er_evaluation):
    e = er_evaluation
    train, valid = e.predictions[("combined", "train")], e.predictions[("combined", "validation")]
    threshold = stats.youden_cutoff(train.y, train.lp)[0]
    row = e.youden.set_index(["model", "split"]).loc[("combined", "validation")]
    assert row["threshold (lp, from training)"] == threshold
    expected = stats.classification_metrics(valid.y, valid.lp, threshold)
    assert (row["sensitivity"], row["specificity"], row["ppv"], row["npv"], row["accuracy"]) == pytest.approx(
        (expected.sensitivity, expected.specificity, expected.ppv, expected.npv, expected.accuracy), nan_ok=True)
    auc = e.discrimination.set_index(["model", "split"]).loc[("combined", "validation")]
    assert (auc["auc"], auc["lower"], auc["upper"]) == pytest.approx(stats.delong_ci(valid.y, valid.lp))
    test = e.delong.set_index(["split", "model_a", "model_b"]).loc[("validation", "clinical", "combined")]
    clinical = e.predictions[("clinical", "validation")]
    assert list(clinical.ids) == list(valid.ids)
    assert test["p"] == pytest.approx(stats.delong_test(valid.y, clinical.lp, valid.lp).p)
    hl = e.hosmer_lemeshow.set_index(["model", "split"]).loc[("combined", "train")]
    assert (hl["chisq"], hl["p"]) == pytest.approx(_chisq_p(stats.hosmer_lemeshow(train.y, train.prob, 10)))
    assert e.horizons == () and e.time_auc.empty


def test_nomogram_axes_and_forest(rfs_evaluation, rfs_result):
    e = rfs_evaluation
    axes = list(dict.fromkeys(e.nomogram.sort_values("order")["axis"]))
    columns = list(rfs_result.model.combined_.columns_)
    assert axes == ["Points", *columns, "Total points", "12-month RFS probability", "24-month RFS probability"]
    widest = e.nomogram[e.nomogram["kind"] == "predictor"].groupby("axis")["x"].agg(np.ptp)
    assert widest.max() == pytest.approx(100.0)
    combined = e.forest[e.forest["model"] == "combined"].set_index("term")
    fit = rfs_result.model.combined_.model_
    assert combined["ratio"].to_numpy() == pytest.approx(np.exp(fit.coef_.to_numpy()))


def test_rad_score_correlation_is_spearman(rfs_evaluation, rfs_result, builder):
    from scipy.stats import spearmanr

    row = rfs_evaluation.correlation.query("split == 'train' and variable == 'AFP'").iloc[0]
    ids = rfs_result.train_index
    rho, p = spearmanr(rfs_result.model.rad_score(builder.frame(ids, ())), builder.inputs.clinical.loc[ids, "AFP"])
    assert (row["rho"], row["p"]) == pytest.approx((rho, p))
    bclc = rfs_evaluation.correlation.query("split == 'train' and variable == 'BCLC'").iloc[0]
    assert np.isnan(bclc["rho"]) and "unordered" in bclc["note"]


def test_uno_c_option_truncates_at_the_last_offered_horizon(rfs_evaluation):
    import dataclasses

    from hccdash.evaluation.discrimination import discrimination_table

    e = rfs_evaluation
    settings = dataclasses.replace(e.settings.evaluation, uno_c=True, n_bootstrap=50)
    table = discrimination_table(e.predictions, settings, tau=max(e.horizons)).set_index(["model", "split"])
    p = e.predictions[("radiomics", "validation")]
    assert table.loc[("radiomics", "validation"), "uno_c"] == pytest.approx(
        stats.uno_c(p.time, p.event, p.lp, tau=24.0))
    assert "uno_c" not in e.discrimination.columns  # off by default


def test_logistic_discrimination_is_named_auc_in_tables_charts_and_report(er_evaluation, rfs_evaluation):
    """ER: the discrimination table itself (not a renamed copy), the chart's data and field,
    by-centre rows, the report table and the checklist say AUC; Cox keeps c_index."""
    from hccdash.evaluation import figures
    from hccdash.evaluation.checklist import tripod_checklist
    from hccdash.evaluation.report import report_content

    e = er_evaluation
    assert "auc" in e.discrimination.columns and "c_index" not in e.discrimination.columns
    assert e.discrimination["auc"].tolist() == [stats.auc(p.y, p.lp) for p in e.predictions.values()]
    chart, data = figures.discrimination(e)
    assert "auc" in data.columns and "c_index" not in data.columns
    assert chart.to_dict()["layer"][0]["encoding"]["y"]["field"] == "auc"
    assert "auc" in e.by_centre.columns and "c_index" not in e.by_centre.columns
    heading, table = report_content(e, "ER").tables[0]
    assert heading.startswith("Discrimination (AUC") and "auc" in table.columns and "c_index" not in table.columns
    assert "combined validation: AUC" in tripod_checklist(e).set_index("number").loc["16", "content"]
    assert "c_index" in rfs_evaluation.discrimination.columns and "auc" not in rfs_evaluation.discrimination.columns
    assert "c_index" in figures.discrimination(rfs_evaluation)[1].columns

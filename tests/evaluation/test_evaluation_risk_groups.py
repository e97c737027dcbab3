"""Risk groups: the cut-off is learned on training only and applied unchanged elsewhere;
subgroup HRs and the interaction test."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hccdash import stats
from hccdash.evaluation.risk_groups import risk_groups, subgroup_analysis

from evaluation_fixtures import QUICK


def _data(seed: int, n: int = 120):
    rng = np.random.default_rng(seed)
    score = rng.normal(size=n)
    time = rng.exponential(20 * np.exp(-score))
    event = (rng.random(n) < 0.75).astype(float)
    return time, event, score


@pytest.mark.parametrize("method", ["median", "maxstat"])
def test_cutoff_comes_from_training_and_ignores_validation(method):
    train, valid = _data(0), _data(1, 60)
    first = risk_groups({"train": train, "validation": valid}, method, 0.1, [0, 12, 24], 0.95)
    expected = np.median(train[2]) if method == "median" else stats.max_logrank_cutoff(*train, minprop=0.1)
    assert first.cutoff == pytest.approx(expected, abs=0)
    shifted = (valid[0] * 3, 1 - valid[1], valid[2] + 5.0)  # a wholly different validation set
    second = risk_groups({"train": train, "validation": shifted}, method, 0.1, [0, 12, 24], 0.95)
    assert second.cutoff == first.cutoff
    row = second.comparisons.set_index("split").loc["validation"]
    assert row["n_high"] == int((shifted[2] > first.cutoff).sum()) == 60  # all above the TRAINING cut-off
    assert np.isnan(row["p_logrank"])  # one group only: no test, no invented number
    valid_row = first.comparisons.set_index("split").loc["validation"]
    high = (valid[2] > first.cutoff).astype(int)
    assert valid_row["p_logrank"] == pytest.approx(stats.logrank(valid[0], valid[1], high)["p"])
    assert valid_row["hr"] == pytest.approx(stats.hazard_ratio_groups(valid[0], valid[1], high).hr)


def test_number_at_risk_table_counts_each_group():
    train = _data(2)
    result = risk_groups({"train": train}, "median", 0.1, [0.0, 10.0], 0.95)
    high = train[2] > result.cutoff
    table = result.at_risk.set_index(["group", "time"])["n"]
    assert table[("high", 10.0)] == int((train[0][high] >= 10).sum())
    assert table[("low", 0.0)] == int((~high).sum())


def test_subgroup_interaction_detects_an_effect_in_one_subgroup_only():
    rng = np.random.default_rng(4)
    n = 400
    high = rng.integers(0, 2, n)
    sub = np.where(rng.random(n) < 0.5, "HBV", "other")
    hazard = np.exp(np.where(sub == "HBV", 1.5 * high, 0.0))
    time = rng.exponential(10 / hazard)
    event = np.ones(n)
    table, p = subgroup_analysis(time, event, high, pd.Series(sub), 0.95)
    by = table.set_index("subgroup")
    inside = sub == "HBV"
    assert by.loc["HBV", "hr"] == pytest.approx(stats.hazard_ratio_groups(time[inside], event[inside], high[inside]).hr)
    assert by.loc["HBV", "hr"] > 3 and 0.6 < by.loc["other", "hr"] < 1.6
    assert p < 1e-4
    _, p_null = subgroup_analysis(time, event, high, pd.Series(rng.choice(["a", "b"], n)), 0.95)
    assert p_null > 0.01


def test_cutoff_chosen_on_evaluation_is_the_saved_models_cutoff(builder, rfs_result, rfs_evaluation):
    """The combined model's training cut-off of the evaluation (here max. log-rank, not the
    settings' median) is saved with the model, on the same linear predictor."""
    import dataclasses

    from hccdash.evaluation import sources
    from hccdash.registry import pipelines, registry

    train = {s: (p.time, p.event, p.lp) for (m, s), p in rfs_evaluation.predictions.items() if m == "combined"}
    maxstat = risk_groups(train, "maxstat", 0.1, [0.0], 0.95)
    assert maxstat.cutoff != rfs_evaluation.risk_groups["combined"].cutoff  # the median one
    evaluation = dataclasses.replace(rfs_evaluation, risk_groups={**rfs_evaluation.risk_groups, "combined": maxstat})
    chosen = sources.chosen_cutoff(evaluation)
    assert (chosen.method, chosen.value) == ("maxstat", maxstat.cutoff)
    pipelines.save_evaluated(rfs_result, evaluation, builder, "synthetic", "chosen", "", chosen)
    model = registry.json_model("chosen")
    assert model.spec["risk_groups"]["method"] == "maxstat"
    assert model.spec["risk_groups"]["cutoffs"] == [maxstat.cutoff]
    p = rfs_evaluation.predictions[("combined", "validation")]
    lp = model.linear_predictor(builder.frame(p.ids, rfs_evaluation.clinical_vars))
    np.testing.assert_allclose(lp, p.lp, rtol=1e-9, atol=1e-9)  # the cut-off's scale
    assert (model.group_of(lp) == "high").tolist() == (p.lp > maxstat.cutoff).tolist()
    assert registry.get("chosen").metrics["c_index"]["validation"] == pytest.approx(
        rfs_evaluation.discrimination.set_index(["model", "split"]).at[("combined", "validation"), "c_index"])
    typed = sources.chosen_cutoff(evaluation, value=0.25)
    assert (typed.method, typed.value) == ("given", 0.25)
    train_lp = rfs_evaluation.predictions[("combined", "train")].lp
    tertile = sources.chosen_cutoff(evaluation, percentile=66.7)
    assert (tertile.method, tertile.value) == ("percentile_66.7", pytest.approx(np.percentile(train_lp, 66.7)))
    pipelines.save_evaluated(rfs_result, evaluation, builder, "synthetic", "tertile", "", tertile)
    assert registry.risk_cutoff_text(registry.get("tertile").meta, long=True) == (
        f"{tertile.value:.4g} (percentile 66.7 of the training linear predictor)")


def test_percentile_cutoff_matches_r_quantile_type_7():
    """R: quantile(c(4, 1, 3, 2, 10), c(0.25, 0.9)) -> 2.0, 7.6"""
    from hccdash.evaluation.risk_groups import percentile_cutoff

    assert percentile_cutoff([4, 1, 3, 2, 10], 25) == pytest.approx(2.0)
    assert percentile_cutoff([4, 1, 3, 2, 10], 90) == pytest.approx(7.6)
    with pytest.raises(ValueError, match="strictly between 0 and 100, got 100"):
        percentile_cutoff([1, 2], 100)


def test_a_saved_model_gets_the_maxstat_cutoff_of_its_own_minprop(builder):
    """A pipeline whose settings ask for maxstat with a non-default ``minprop`` (0.03) and is
    saved without a chosen cut-off learns its cut-off with that ``minprop``: the one the
    Evaluation page shows for it. The outcome is set so that the best split is in the tail
    (the top 4% of training patients recur at once, the others' outcome is unrelated to the
    score), which only a minprop below 0.04 reaches; the default 0.1 gives another cut-off."""
    import dataclasses

    from hccdash.evaluation.summary import evaluate
    from hccdash.modeling.builder import ModelBuilder
    from hccdash.registry import registry

    settings = dataclasses.replace(QUICK, evaluation=dataclasses.replace(
        QUICK.evaluation, risk_cutoff="maxstat", maxstat_minprop=0.03))
    result = builder.build(settings, ("AFP", "BCLC", "age"))
    lp = pd.Series(result.model.predict(builder.frame(result.train_index, result.clinical_vars)),
                   index=result.train_index)
    rng = np.random.default_rng(0)
    time, event = rng.exponential(30.0, len(lp)).round(2) + 1, (rng.random(len(lp)) < 0.4).astype(int)
    top = (lp > lp.quantile(0.96)).to_numpy()
    time[top], event[top] = 0.5, 1
    patients = builder.inputs.patients.copy()
    patients.loc[lp.index, "time"], patients.loc[lp.index, "event"] = time, event
    tail = ModelBuilder(dataclasses.replace(builder.inputs, patients=patients))
    evaluation = evaluate(result.model, tail)
    shown = evaluation.risk_groups["combined"]
    p = evaluation.predictions[("combined", "train")]
    assert (shown.method, shown.cutoff) == ("maxstat", stats.max_logrank_cutoff(p.time, p.event, p.lp, minprop=0.03))
    assert shown.cutoff != stats.max_logrank_cutoff(p.time, p.event, p.lp, minprop=0.1)  # the test tells them apart
    train = patients.loc[result.train_index]
    registry.save(result.model, "minprop", data=tail.frame(result.train_index, result.clinical_vars),
                  time=train["time"], event=train["event"])
    groups = registry.json_model("minprop").spec["risk_groups"]
    assert groups["method"] == "maxstat"
    assert groups["cutoffs"] == [pytest.approx(shown.cutoff, rel=1e-12)]

"""ComBat against sva::ComBat (fixture tests/reference/combat, made by combat.R) and its rules.

Every case of cases.csv was produced by
``sva::ComBat(dat = t(X), batch = d[[batch_col]], mod = NULL, par.prior = TRUE, ref.batch = ref)``
on the rows of ``d`` whose batch is listed, with X = the feature columns of radiomics.csv or
simulated.csv. Agreement: within 1e-8 of each feature's sd (ddof 1) over those rows.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hccdash.stats import CombatFit, combat, combat_fit

REF = Path(__file__).resolve().parents[1] / "reference" / "combat"
CASES = pd.read_csv(REF / "cases.csv", keep_default_na=False).set_index("case")


def load(case: str) -> tuple[pd.DataFrame, pd.Series, str | None, pd.DataFrame]:
    """(X, batch, ref_batch, R's adjusted X) of one fixture case."""
    spec = CASES.loc[case]
    data = pd.read_csv(REF / spec["data"], index_col="id", dtype={spec["batch_col"]: str})
    data = data[data[spec["batch_col"]].isin(spec["batches"].split(";"))]
    expected = pd.read_csv(REF / f"adjusted_{case}.csv", index_col="id")
    return data.drop(columns=spec["batch_col"]), data[spec["batch_col"]], spec["ref_batch"] or None, expected


def sd_units(result: pd.DataFrame, expected: pd.DataFrame, X: pd.DataFrame) -> float:
    """Largest absolute difference in units of each feature's sd."""
    assert list(result.index) == list(expected.index) and list(result.columns) == list(expected.columns)
    return float(((result - expected).abs() / X.std(ddof=1)).max().max())


@pytest.mark.parametrize("case", ["radiomics", "radiomics_ref"])
def test_pyradiomics_baseline_matches_sva(case):
    """R: sva::ComBat(dat = t(X), batch = config, mod = NULL, par.prior = TRUE, ref.batch = NULL or "default"),
    X = pyradiomics' 75 'original' texture features of its 5 test cases under 6 extraction settings
    (batch = setting). Within 1e-8 sd."""
    X, batch, ref, expected = load(case)
    assert sd_units(combat(X, batch, ref), expected, X) < 1e-8


@pytest.mark.parametrize("case", ["radiomics_flat", "radiomics_flat_ref"])
def test_features_constant_within_a_batch_are_left_as_sva_leaves_them(case):
    """R: as above with the 7th setting flatRegion, in which 41 features are constant: sva
    adjusts the other 34 and returns those 41 unchanged. Within 1e-8 sd."""
    X, batch, ref, expected = load(case)
    fit = combat_fit(X, batch, ref)
    assert len(fit.unadjusted) == 41 and len(fit.grand_mean) == 34
    result = fit.transform(X, batch)
    assert sd_units(result, expected, X) < 1e-8
    pd.testing.assert_frame_equal(result[list(fit.unadjusted)], X[list(fit.unadjusted)])


@pytest.mark.parametrize("case", ["simulated", "simulated_ref"])
def test_simulated_three_batches_match_sva(case):
    """R: sva::ComBat(dat = t(X), batch, mod = NULL, par.prior = TRUE, ref.batch = NULL or "B"),
    X = 75 patients x 60 features simulated with set.seed(20251122), batches A/B/C with additive
    and multiplicative effects (f60 constant within B). Within 1e-8 sd."""
    X, batch, ref, expected = load(case)
    fit = combat_fit(X, batch, ref)
    assert fit.unadjusted == ("f60",) and not fit.mean_only
    assert all(n > 1 for b, n in zip(fit.batches, fit.iterations) if b != ref)  # it.sol really iterated
    assert sd_units(fit.transform(X, batch), expected, X) < 1e-8


@pytest.mark.parametrize("case", ["simulated_single", "simulated_single_ref"])
def test_a_one_patient_batch_gives_svas_mean_only_model(case):
    """R: as above plus batch D of one patient, ref.batch = NULL or "A" (sva: "setting
    mean.only=TRUE"). Within 1e-8 sd."""
    X, batch, ref, expected = load(case)
    fit = combat_fit(X, batch, ref)
    assert fit.mean_only and (fit.delta_star.to_numpy() == 1).all()
    assert sd_units(fit.transform(X, batch), expected, X) < 1e-8


def test_reference_batch_rows_are_returned_unchanged():
    X, batch, ref, _ = load("simulated_ref")
    result = combat(X, batch, ref)
    pd.testing.assert_frame_equal(result[batch == ref], X[batch == ref])
    assert (result[batch != ref] - X[batch != ref]).abs().to_numpy().max() > 0.1
    fit = combat_fit(X, batch, ref)
    assert (fit.gamma_star.loc[ref] == 0).all() and (fit.delta_star.loc[ref] == 1).all()
    np.testing.assert_allclose(fit.grand_mean, X.loc[batch == ref, fit.grand_mean.index].mean(), rtol=1e-13)
    np.testing.assert_allclose(fit.var_pooled, X.loc[batch == ref, fit.var_pooled.index].var(ddof=0), rtol=1e-12)


def test_pooled_standardisation_without_reference():
    """alpha = overall mean, sigma^2 = within-batch residual variance with divisor n."""
    X, batch, _, _ = load("simulated")
    fit = combat_fit(X, batch)
    columns = fit.grand_mean.index
    np.testing.assert_allclose(fit.grand_mean, X[columns].mean(), rtol=1e-13)
    residual = X[columns] - X[columns].groupby(batch).transform("mean")
    np.testing.assert_allclose(fit.var_pooled, (residual**2).mean(), rtol=1e-12)


def test_fit_applies_to_new_patients_of_seen_batches_row_by_row():
    """transform uses only the fitted numbers: each row's result is the same alone or together."""
    X, batch, _, _ = load("simulated")
    fit = combat_fit(X, batch)
    whole = fit.transform(X, batch)
    one = fit.transform(X.iloc[[40]], batch.iloc[[40]])
    pd.testing.assert_frame_equal(one, whole.iloc[[40]])


def test_row_order_and_batch_names_do_not_change_the_result():
    X, batch, _, _ = load("simulated")
    order = np.random.default_rng(1).permutation(len(X))
    renamed = batch.map({"A": "zeta", "B": "alpha", "C": "mu"})
    shuffled = combat(X.iloc[order], renamed.iloc[order])
    pd.testing.assert_frame_equal(shuffled.loc[X.index], combat(X, batch), rtol=1e-12)


def test_batch_as_a_series_is_aligned_on_the_index():
    X, batch, _, _ = load("simulated")
    pd.testing.assert_frame_equal(combat(X, batch.iloc[::-1]), combat(X, batch.to_numpy()))


def test_fit_is_frozen():
    X, batch, _, _ = load("simulated")
    fit = combat_fit(X, batch)
    assert isinstance(fit, CombatFit)
    with pytest.raises(AttributeError):
        fit.ref_batch = "A"


@pytest.mark.parametrize("change, message", [
    (lambda X, b: (X, pd.Series("A", index=b.index), None), "at least two batches"),
    (lambda X, b: (X, b, "Z"), "reference batch 'Z' is not one of"),
    (lambda X, b: (X, b.where(b.index != "p001", "solo"), "solo"), "'solo' has one patient"),
    (lambda X, b: (X, pd.Series([f"b{i}" for i in range(len(X))], index=X.index), None), "single patient"),
    (lambda X, b: (X.assign(f05=X.f05.where(X.index != "p007")), b, None), "'f05' has a missing .* 'p007'"),
    (lambda X, b: (X.assign(f05="x"), b, None), "feature 'f05' is not numeric"),
    (lambda X, b: (X, b.where(b.index != "p009"), None), "patient 'p009' has no batch"),
    (lambda X, b: (X, b.iloc[1:], None), "no batch given for patient 'p001'"),
    (lambda X, b: (X[["f01", "f60"]], b, None), r"two features .* 'f60' in batch 'B'"),
])
def test_refusals_name_the_problem(change, message):
    X, batch, _, _ = load("simulated")
    X, batch, ref = change(X, batch)
    with pytest.raises(ValueError, match=message):
        combat(X, batch, ref)


def test_transform_refuses_an_unseen_batch_or_missing_feature():
    X, batch, _, _ = load("simulated")
    fit = combat_fit(X, batch)
    with pytest.raises(ValueError, match="batch 'D' of patient 'p003' was not seen"):
        fit.transform(X.iloc[:5], ["A", "A", "D", "A", "A"])
    with pytest.raises(ValueError, match="lacks the fitted feature"):
        fit.transform(X.drop(columns="f02"), batch)

"""Correlation filter against caret::findCorrelation (R fixture) and hand-derived cases."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from hccdash.selection import CorrelationFilter, correlation_matrix, find_correlation

FIXTURE = Path(__file__).resolve().parents[1] / "reference" / "caret"


@pytest.fixture(scope="module")
def breast_cancer() -> pd.DataFrame:
    return pd.read_csv(FIXTURE / "breast_cancer_features.csv")


@pytest.mark.parametrize("method", ["spearman", "pearson"])
@pytest.mark.parametrize("cutoff", [0.3, 0.5, 0.7, 0.8])
@pytest.mark.parametrize("exact", [True, False])
def test_find_correlation_matches_caret(breast_cancer, method, cutoff, exact):
    """R (caret 6.0.93, tests/reference/caret/caret_fixture.R):
    ``colnames(bc)[findCorrelation(cor(as.matrix(bc), method = method), cutoff = cutoff, exact = exact)]``;
    the dropped set must be identical."""
    expected = json.loads((FIXTURE / "findcorrelation.json").read_text())[f"{method}_{cutoff}_{'exact' if exact else 'fast'}"]
    corr = correlation_matrix(breast_cancer, method)
    dropped = [breast_cancer.columns[i] for i in find_correlation(corr.to_numpy(), cutoff, exact)]
    assert sorted(dropped) == sorted(expected)


def test_spearman_matrix_equals_scipy(breast_cancer):
    """Spearman = Pearson on average ranks, as cor(method = "spearman")."""
    sub = breast_cancer.iloc[:, :6]
    expected = sps.spearmanr(sub.to_numpy()).statistic
    np.testing.assert_allclose(correlation_matrix(sub, "spearman").to_numpy(), expected, atol=1e-12)


def test_exact_algorithm_hand_case():
    """caret's exact walk on a 4 x 4 matrix worked by hand.

    |r|: a-b 0.95, a-c 0.2, a-d 0.1, b-c 0.3, b-d 0.1, c-d 0.92. Mean |r| off the diagonal:
    a 0.4167, b 0.45, c 0.4733, d 0.3733 -> order c, b, a, d. Pair (c, d) first: mn1 = mean
    row c = 0.4733; mn2 = mean of the matrix without row d = (0.95+0.2+0.1+0.95+0.3+0.1+0.2+0.3
    +0.92)/9 = 0.4467 < mn1 -> drop c. Next pair (b, a): mn1 = mean row b without c =
    (0.95+0.1)/2 = 0.525; mn2 = mean without row a over a, b, d = (0.95+0.1+0.1+0.1)/4 = 0.3125
    -> drop b. Kept: a, d."""
    names = ["a", "b", "c", "d"]
    r = pd.DataFrame(np.eye(4), index=names, columns=names)
    for (x, y), v in {("a", "b"): 0.95, ("a", "c"): 0.2, ("a", "d"): 0.1, ("b", "c"): 0.3,
                      ("b", "d"): 0.1, ("c", "d"): 0.92}.items():
        r.loc[x, y] = r.loc[y, x] = v
    assert [names[i] for i in find_correlation(r.to_numpy(), 0.9, exact=True)] == ["b", "c"]
    # fast: column means with the diagonal a 0.5625, b 0.5875, c 0.605, d 0.53 ->
    # (a, b): drop b; (c, d): drop c
    assert [names[i] for i in find_correlation(r.to_numpy(), 0.9, exact=False)] == ["b", "c"]


def test_exact_and_fast_differ_as_in_caret():
    """A case where caret's two algorithms disagree (found and checked in R 4.2, caret 6.0.93):
    ``r <- matrix(c(...), 6)``; ``findCorrelation(r, 0.8, exact = TRUE)`` -> 1 2 4 and
    ``findCorrelation(r, 0.8, exact = FALSE)`` -> 2 3 4 (1-based)."""
    r = np.array([
        [1.00, 0.96, 0.91, 0.06, -0.01, 0.03],
        [0.96, 1.00, 0.95, 0.14, 0.06, 0.08],
        [0.91, 0.95, 1.00, 0.06, -0.03, 0.07],
        [0.06, 0.14, 0.06, 1.00, 0.88, 0.35],
        [-0.01, 0.06, -0.03, 0.88, 1.00, 0.34],
        [0.03, 0.08, 0.07, 0.35, 0.34, 1.00],
    ])
    assert find_correlation(r, 0.8, exact=True) == [0, 1, 3]
    assert find_correlation(r, 0.8, exact=False) == [1, 2, 3]
    assert find_correlation(r, 0.8) == [0, 1, 3]  # caret's default below 100 columns: exact


def test_filter_drops_one_of_a_duplicated_pair():
    """x2 = 2 x1 + tiny noise is dropped or x1 is; an independent column survives; caret's exact
    rule for 3 columns: x1 and x2 have the same mean |r| except for the noise."""
    rng = np.random.default_rng(0)
    x1 = rng.normal(size=50)
    X = pd.DataFrame({"x1": x1, "x2": 2 * x1 + 1e-3 * rng.normal(size=50), "z": rng.normal(size=50)})
    fitted = CorrelationFilter(0.9, "pearson").fit(X)
    assert "z" in fitted.selected_features_
    assert len(fitted.selected_features_) == 2
    assert list(fitted.transform(X).columns) == fitted.selected_features_


def test_fit_scores_on_a_superset_equals_fit(breast_cancer):
    """Statistics computed on all columns, read for a subset, give the same fit."""
    subset = breast_cancer.iloc[:, 10:40]
    filt = CorrelationFilter(0.5, "spearman")
    direct = filt.fit(subset).selected_features_
    cached = CorrelationFilter(0.5, "spearman").fit_scores(filt.score_features(breast_cancer), subset.columns)
    assert cached.selected_features_ == direct


@pytest.mark.parametrize("exact", [True, False])
def test_each_dropped_feature_names_its_strongest_partner(exact):
    """The reason of a dropped feature names the kept-or-dropped feature it correlates with most
    (the first on ties), with the signed correlation's absolute value: b (|r| 0.95 with a, 0.91 with
    c, -0.97 with d) names d whichever algorithm dropped it."""
    r = pd.DataFrame([
        [1.00, 0.95, 0.60, 0.10, 0.00],
        [0.95, 1.00, 0.91, -0.97, 0.00],
        [0.60, 0.91, 1.00, 0.20, 0.00],
        [0.10, -0.97, 0.20, 1.00, 0.00],
        [0.00, 0.00, 0.00, 0.00, 1.00],
    ], index=list("abcde"), columns=list("abcde"))
    fitted = CorrelationFilter(0.9, "pearson", exact=exact).fit_scores(r, list("abcde"))
    assert "b" in fitted.dropped_ and "e" in fitted.selected_features_
    assert fitted.dropped_["b"] == "|pearson r| > 0.9 with d"
    for name, reason in fitted.dropped_.items():
        partner = r.loc[name].drop(name).abs().idxmax()
        assert reason.endswith(f" with {partner}")


@pytest.mark.parametrize("exact", [True, False])
def test_pairs_computed_once_answer_every_cutoff_as_caret(breast_cancer, exact):
    """A threshold move reads one column set's CorrelatedPairs: at every cutoff of the R fixture of
    test_find_correlation_matches_caret they drop caret's features."""
    from hccdash.selection.correlation import CorrelatedPairs

    fixture = json.loads((FIXTURE / "findcorrelation.json").read_text())
    corr = correlation_matrix(breast_cancer, "spearman").to_numpy()
    pairs = CorrelatedPairs.of(corr.copy(), exact)
    for cutoff in (0.8, 0.3, 0.7, 0.5):
        dropped = [breast_cancer.columns[i] for i in pairs.drop_positions(cutoff)]
        assert sorted(dropped) == sorted(fixture[f"spearman_{cutoff}_{'exact' if exact else 'fast'}"])


def test_a_threshold_move_reuses_the_pairs_of_its_column_set():
    """fit_cached keeps the pairs of a column set in the stage cache: a second threshold on
    the same columns computes nothing new, and the fit equals fit()'s."""
    from hccdash.modeling.cache import StageCache

    rng = np.random.default_rng(1)
    base = rng.normal(size=(60, 30))
    X = pd.DataFrame(np.hstack([base, base + 0.3 * rng.normal(size=(60, 30)),
                                base[:, :20] + 0.6 * rng.normal(size=(60, 20)), rng.normal(size=(60, 30))]),
                     columns=[f"f{i}" for i in range(110)])
    cache = StageCache(X, None)
    first = CorrelationFilter(0.9).fit_cached(X, None, cache)
    misses = cache.misses
    for threshold in (0.8, 0.6):
        moved = CorrelationFilter(threshold).fit_cached(X, None, cache)
        assert cache.misses == misses  # nothing computed
        direct = CorrelationFilter(threshold).fit(X)
        assert moved.selected_features_ == direct.selected_features_ and moved.dropped_ == direct.dropped_
    assert first.selected_features_ != moved.selected_features_

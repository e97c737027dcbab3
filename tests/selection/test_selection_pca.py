"""PCA of z-scored deep features against R's prcomp and a numpy eigendecomposition."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hccdash.selection import Standardizer
from hccdash.selection.pca import PCAReducer

HERE = Path(__file__).resolve().parents[1] / "reference" / "pca"


@pytest.fixture(scope="module")
def deep():
    return pd.read_csv(HERE / "deep.csv")


def test_matches_prcomp_scaled(deep):
    """Standardizer + PCAReducer = ``prcomp(x, center = TRUE, scale. = TRUE)`` (pca.R): sdev to 1e-10,
    loadings and scores to 1e-8 once R's arbitrary sign per component is matched."""
    r = json.loads((HERE / "pca.json").read_text())
    z = Standardizer().fit(deep).transform(deep)
    pca = PCAReducer(n_components=12).fit(z)
    np.testing.assert_allclose(pca.sdev_, r["sdev"], rtol=1e-10)
    rotation = np.asarray(r["rotation"])
    signs = np.sign(np.sum(rotation * pca.rotation_.to_numpy(), axis=0))
    assert set(signs) <= {-1.0, 1.0}
    np.testing.assert_allclose(pca.rotation_.to_numpy(), rotation * signs, atol=1e-8)
    np.testing.assert_allclose(pca.transform(z).to_numpy(), np.asarray(r["scores"]) * signs, atol=1e-8)


def test_variance_share_and_eigenvalues(deep):
    """Shares are the eigenvalues of the correlation matrix over their sum (np.linalg.eigvalsh, not an
    SVD); the variance rule keeps the fewest components reaching the share; scores are uncorrelated
    with variances sdev^2."""
    z = Standardizer().fit(deep).transform(deep)
    eigen = np.sort(np.linalg.eigvalsh(np.corrcoef(deep.to_numpy(), rowvar=False)))[::-1]
    pca = PCAReducer(variance=0.8).fit(z)
    np.testing.assert_allclose(pca.explained_variance_ratio_, eigen / eigen.sum(), atol=1e-12)
    expected = int(np.argmax(np.cumsum(eigen) / eigen.sum() >= 0.8) + 1)
    assert pca.n_components_ == expected == 3  # three latent factors made the data
    scores = pca.transform(z)
    assert list(scores.columns) == ["dl_pc1", "dl_pc2", "dl_pc3"]
    np.testing.assert_allclose(np.cov(scores.to_numpy(), rowvar=False), np.diag(eigen[:3]), atol=1e-9)
    assert PCAReducer(variance=1.0).fit(z).n_components_ == 12


def test_fitted_on_training_rows_only(deep):
    """New rows are centred with the training means: a validation row's score is its own
    (x - training mean) @ loadings, whatever the other new rows are."""
    train, new = deep.iloc[:30], deep.iloc[30:]
    pca = PCAReducer(n_components=2).fit(train)
    one = pca.transform(new.iloc[[0]])
    manual = (new.iloc[[0]].to_numpy() - train.mean().to_numpy()) @ pca.rotation_.to_numpy()
    np.testing.assert_allclose(one.to_numpy(), manual, atol=1e-12)
    np.testing.assert_allclose(pca.transform(new).iloc[[0]].to_numpy(), manual, atol=1e-12)


def test_signs_are_deterministic(deep):
    """The largest loading of each component is positive, so refits agree."""
    pca = PCAReducer(n_components=4).fit(deep)
    rotation = pca.rotation_.to_numpy()
    assert np.all(rotation[np.argmax(np.abs(rotation), axis=0), range(4)] > 0)


def test_bad_input_is_named(deep):
    with pytest.raises(ValueError, match="at least 2 training rows"):
        PCAReducer().fit(deep.iloc[:1])
    with pytest.raises(ValueError, match="constant"):
        PCAReducer().fit(pd.DataFrame({"a": [1.0, 1.0, 1.0], "b": [2.0, 2.0, 2.0]}))
    with pytest.raises(ValueError, match="n_components"):
        PCAReducer(n_components=0).fit(deep)
    with pytest.raises(ValueError, match="lacks the feature"):
        PCAReducer(n_components=2).fit(deep).transform(deep.drop(columns=deep.columns[0]))

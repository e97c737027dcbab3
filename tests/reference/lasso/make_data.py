"""Writes the CSVs that lasso.R and test_stats_lasso.py read (run once, from this folder).

- whas500.csv: scikit-survival's ``load_whas500`` with categories as 0/1 numbers,
  time ``lenfol`` (days), event ``fstat`` (0/1), and a fixed ``foldid`` (1..10) for cv.glmnet.
- breast_cancer.csv: scikit-learn's ``load_breast_cancer``, the ten "mean ..." columns
  (renamed with underscores), ``target`` (1 = benign) and a fixed ``foldid``.
"""

import numpy as np
from sklearn.datasets import load_breast_cancer
from sksurv.datasets import load_whas500


def foldid(n: int, k: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).permutation(np.resize(np.arange(1, k + 1), n))


X, y = load_whas500()
whas = X.astype(float)
whas["lenfol"] = y["lenfol"]
whas["fstat"] = y["fstat"].astype(int)
whas["foldid"] = foldid(len(whas), 10, 1)
whas.to_csv("whas500.csv", index=False)

bc = load_breast_cancer(as_frame=True).frame
cols = [c for c in bc.columns if c.startswith("mean ")]
data = bc[cols].rename(columns=lambda c: c.replace(" ", "_"))
data["target"] = bc["target"]
data["foldid"] = foldid(len(data), 10, 2)
data.to_csv("breast_cancer.csv", index=False)

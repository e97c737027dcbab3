"""Writes breast_cancer.csv (scikit-learn's load_breast_cancer: five mean/worst columns renamed,
malignant = 1 - target) and whas500_death1y.csv (scikit-survival's load_whas500: death within
365 days, patients censored before 365 days excluded) into the folder given (default: here).
Run: python make_data.py [folder]"""

import sys
from pathlib import Path

from sklearn.datasets import load_breast_cancer
from sksurv.datasets import load_whas500

out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent
bc = load_breast_cancer(as_frame=True)
columns = {"mean radius": "radius", "mean texture": "texture", "mean smoothness": "smoothness",
           "mean concavity": "concavity", "worst symmetry": "symmetry"}
data = bc.data[list(columns)].rename(columns=columns)
data["malignant"] = 1 - bc.target
data.to_csv(out / "breast_cancer.csv", index=False)
X, y = load_whas500()
whas = X.astype({c: float for c in X.select_dtypes("category")})
keep = y["fstat"] | (y["lenfol"] >= 365)
whas["death1y"] = (y["fstat"] & (y["lenfol"] < 365)).astype(int)
whas.loc[keep, ["age", "bmi", "hr", "sysbp", "gender", "chf", "death1y"]].to_csv(
    out / "whas500_death1y.csv", index=False
)

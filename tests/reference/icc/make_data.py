"""Writes the random ICC tables into the folder given (default: here): ratings_random.csv
(40 subjects x 3 raters: subject effect + rater bias + noise) and two readers' feature
matrices of 25 patients (features_reader1.csv, features_reader2.csv: reader 2 holds the
patients in another order plus one extra patient, and a feature with one missing value).
Run: python make_data.py [folder]"""

import sys
from pathlib import Path

import numpy as np
import pandas as pd

out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent
rng = np.random.default_rng(20261123)
subject = rng.normal(0, 2, size=(40, 1))
ratings = np.round(subject + np.array([[0.0, 0.8, -0.3]]) + rng.normal(0, 1, size=(40, 3)), 4)
pd.DataFrame(ratings, columns=["r1", "r2", "r3"]).to_csv(out / "ratings_random.csv", index=False)

patients = [f"P{i:03d}" for i in range(25)]
truth = rng.normal(0, 1, size=(25, 6)) * np.array([1, 5, 0.1, 2, 1, 3])
noise = np.array([0.1, 1.0, 0.1, 3.0, 0.5, 0.0])  # reproducible ... noisy, and one exact copy
reader1 = truth + rng.normal(0, 1, size=truth.shape) * noise
reader2 = truth + rng.normal(0, 1, size=truth.shape) * noise + np.array([0, 2, 0, 0, 0.3, 0])
columns = [f"portal.original_f{j}" for j in range(6)]
first = pd.DataFrame(np.round(reader1, 5), index=pd.Index(patients, name="patient_id"), columns=columns)
second = pd.DataFrame(np.round(reader2, 5), index=first.index, columns=columns)
second.iloc[4, 2] = np.nan
second.loc["P999"] = 1.0
first.to_csv(out / "features_reader1.csv")
second.iloc[::-1].to_csv(out / "features_reader2.csv")

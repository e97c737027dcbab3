"""Writes rossi.csv (lifelines, unchanged) and whas500.csv (scikit-survival's load_whas500,
categorical columns as numbers, plus lenfol and fstat) into the folder given (default: here).
Run: python make_data.py [folder]"""

import sys
from pathlib import Path

from lifelines.datasets import load_rossi
from sksurv.datasets import load_whas500

out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent
load_rossi().to_csv(out / "rossi.csv", index=False)
X, y = load_whas500()
whas = X.astype({c: float for c in X.select_dtypes("category")})
whas["lenfol"], whas["fstat"] = y["lenfol"], y["fstat"].astype(int)
whas.to_csv(out / "whas500.csv", index=False)

"""Reproducibility filter: keep features whose ICC across repeat segmentations is >= threshold.

ICC(2,1) (two-way random, absolute agreement, single rater) by default, ICC(3,1)
(two-way mixed, consistency) selectable; computed per feature by
:func:`hccdash.stats.icc_per_feature` (R: ``psych::ICC``). The repeat data are given
at construction, either as aligned reader matrices (same patients and feature
columns, one DataFrame per reader) or as a precomputed ICC Series. Features without
repeat data (absent, or an undefined ICC) are kept with a warning (``missing="keep"``)
or dropped (``missing="drop"``).

With reader matrices and ``repeat_rows="fit"`` only the repeat patients present in the
training rows given to ``fit`` are used (training split only); ``repeat_rows="all"``
uses every repeat patient (a separate test-retest set).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from hccdash import stats
from hccdash.selection.base import FeatureFilter
from hccdash.settings import SelectionSettings

_DEFAULTS = SelectionSettings()
KINDS = ("ICC2_1", "ICC3_1")
MISSING = ("keep", "drop")


def feature_icc(readers: Sequence[pd.DataFrame], kind: str = _DEFAULTS.icc_kind,
                patients: Sequence | None = None) -> pd.Series:
    """ICC of each feature of reader 1's matrix across the readers' aligned matrices
    (:func:`hccdash.stats.icc_per_feature`), optionally on these patients only."""
    if kind not in KINDS:
        raise ValueError(f"Unknown ICC kind {kind!r}; allowed: {list(KINDS)}")
    if len(readers) < 2:
        raise ValueError(f"ICC needs at least two readers' matrices, got {len(readers)}")
    first = readers[0]
    if patients is not None:
        first = first.loc[first.index.intersection(pd.Index(patients), sort=False)]
    return stats.icc_per_feature(first, list(readers[1:]), kind=kind).astype(float)


class ICCFilter(FeatureFilter):
    """Keep features with ICC >= ``threshold``; see the module docstring."""

    def __init__(self, threshold: float = _DEFAULTS.icc_threshold, kind: str = _DEFAULTS.icc_kind,
                 readers: Sequence[pd.DataFrame] | None = None, icc: pd.Series | None = None,
                 missing: str = _DEFAULTS.icc_missing, repeat_rows: str = "fit"):
        self.threshold = threshold
        self.kind = kind
        self.readers = readers
        self.icc = icc
        self.missing = missing
        self.repeat_rows = repeat_rows

    def score_key(self) -> tuple:
        """ICC depends on its kind and which repeat patients are used."""
        return ("icc", self.kind, self.repeat_rows, self.icc is not None)

    def score_features(self, X: pd.DataFrame, y=None) -> pd.Series:
        """ICC per feature of ``X`` (NaN where there is no repeat data)."""
        if self.icc is not None:
            return pd.Series(self.icc, dtype=float).reindex(X.columns)
        if self.readers is None:
            raise ValueError("ICCFilter needs repeat data: pass readers=[reader1, reader2] or icc=Series")
        if self.repeat_rows not in ("fit", "all"):
            raise ValueError(f"repeat_rows must be 'fit' or 'all', got {self.repeat_rows!r}")
        patients = X.index if self.repeat_rows == "fit" else None
        return feature_icc(self.readers, self.kind, patients).reindex(X.columns)

    def _select(self, columns, scores):
        if self.missing not in MISSING:
            raise ValueError(f"missing must be one of {list(MISSING)}, got {self.missing!r}")
        values = pd.Series(scores, dtype=float).reindex(columns).to_numpy()
        self.icc_ = pd.Series(values, index=columns, name="icc")
        absent = np.isnan(values)
        dropped = {}
        for name, value, none in zip(columns, values, absent):
            if none and self.missing == "drop":
                dropped[name] = "no repeat data"
            elif not none and value < self.threshold:
                dropped[name] = f"ICC = {value:.3f} < {self.threshold:g}"
        self.warnings_ = []
        if absent.any() and self.missing == "keep":
            self.warnings_.append(
                f"{int(absent.sum())} feature(s) have no repeat data for the ICC and were kept "
                f"(e.g. {[c for c, a in zip(columns, absent) if a][:3]})")
            warnings.warn(self.warnings_[0], UserWarning, stacklevel=3)
        self.n_without_repeats_ = int(absent.sum())
        return [c for c in columns if c not in dropped], dropped

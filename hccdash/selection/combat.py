"""ComBat harmonisation across centres as a scikit-learn step, fitted on the training split only.

The maths is :func:`hccdash.stats.combat_fit` (R: ``sva::ComBat(t(X), batch, mod = NULL,
par.prior = TRUE, ref.batch = ref_batch)``). The centre of each patient reaches the step in one
of two ways, because the feature matrices of the pipeline do not carry it today:

- ``batch_col="centre"``: ``X`` holds a column with the centre; it is read and dropped, so the
  output has the feature columns only (this works inside a ``Pipeline``);
- otherwise ``fit(X, batch=...)`` and ``transform(X, batch=...)``: one centre per row of ``X``
  (array-like or a Series indexed like ``X``).

``fit`` estimates ComBat on the training rows (:attr:`combat_`). ``transform`` of a patient from
a centre seen in training applies those fitted location / scale numbers unchanged. A centre
never seen in training is mapped onto the reference centre (``unseen_ref``; by default
``ref_batch``, or else the largest training centre, the first in sorted order on a tie) by
reference-batch ComBat: ``combat(stack(reference rows, new centre's rows), ref_batch =
reference)``, where the reference rows are the reference centre's training rows after
harmonisation (with ``ref_batch`` set, these are its raw training rows: the reference's
features stay unchanged). Each unseen centre is mapped on its own, from the rows of that
centre passed to this ``transform`` call (so its estimate uses every such row given together).
"""

from __future__ import annotations

from collections.abc import Hashable

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from hccdash.columns import require_columns
from hccdash.selection.base import check_frame
from hccdash.stats.combat import check_batch, combat, combat_fit


class ComBatHarmonizer(TransformerMixin, BaseEstimator):
    """Remove centre effects with empirical-Bayes ComBat; see the module docstring.

    Fitted attributes: ``combat_`` (:class:`hccdash.stats.CombatFit`), ``unseen_ref_`` (the centre
    unseen centres are mapped to), ``reference_data_`` (its harmonised training rows),
    ``warnings_``, ``feature_names_in_``."""

    def __init__(self, batch_col: str | None = None, ref_batch: Hashable | None = None,
                 unseen_ref: Hashable | None = None):
        self.batch_col = batch_col
        self.ref_batch = ref_batch
        self.unseen_ref = unseen_ref

    def fit(self, X: pd.DataFrame, y=None, batch=None):
        """Estimate ComBat on the training rows ``X`` (``y`` is ignored)."""
        features, labels = self._split(X, batch, "fit")
        fit = combat_fit(features, labels, self.ref_batch)
        reference = self._unseen_reference(fit)
        harmonised = fit.transform(features, labels)
        self.combat_ = fit
        self.unseen_ref_ = reference
        self.reference_data_ = harmonised[labels == reference]
        self.feature_names_in_ = np.asarray(features.columns, dtype=object)
        self.n_features_in_ = features.shape[1]
        self.warnings_ = _warnings(fit)
        return self

    def transform(self, X: pd.DataFrame, batch=None) -> pd.DataFrame:
        """The feature columns of ``X`` harmonised: seen centres with the fitted numbers, unseen
        centres mapped onto ``unseen_ref_``."""
        check_is_fitted(self, "combat_")
        features, labels = self._split(X, batch, "transform")
        columns = list(self.feature_names_in_)
        features = require_columns(features, columns, what="fitted feature", needed_by="ComBatHarmonizer")
        seen = np.isin(labels, np.asarray(self.combat_.batches, dtype=object))
        out = features.astype(float)
        if seen.any():
            out.loc[seen] = self.combat_.transform(features[seen], labels[seen]).to_numpy()
        for centre in pd.unique(labels[~seen]):
            rows = labels == centre
            out.loc[rows] = self.map_to_reference(features[rows], centre).to_numpy()
        return out

    def map_to_reference(self, X: pd.DataFrame, centre: Hashable) -> pd.DataFrame:
        """Rows ``X`` of one new centre mapped onto the reference centre's harmonised training rows
        by ``combat(stack, ref_batch = unseen_ref_)``; same index as ``X``."""
        check_is_fitted(self, "combat_")
        reference = self.reference_data_
        stacked = pd.concat([reference, X[reference.columns]], ignore_index=True)
        batch = np.array([self.unseen_ref_] * len(reference) + [centre] * len(X), dtype=object)
        mapped = combat(stacked, batch, ref_batch=self.unseen_ref_).iloc[len(reference):]
        return mapped.set_axis(X.index)

    def fit_transform(self, X: pd.DataFrame, y=None, batch=None) -> pd.DataFrame:
        """``fit`` then ``transform`` of the same rows (the batch passed to both)."""
        return self.fit(X, y, batch=batch).transform(X, batch=batch)

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        """The harmonised feature names (the batch column is not among them)."""
        check_is_fitted(self, "combat_")
        return np.asarray(self.feature_names_in_, dtype=object)

    def set_output(self, *, transform=None):
        """Output is always pandas."""
        return self

    def _split(self, X, batch, where: str) -> tuple[pd.DataFrame, np.ndarray]:
        """(feature columns, one centre per row) from ``X`` and ``batch_col`` / ``batch``."""
        name = f"ComBatHarmonizer.{where}"
        if not isinstance(X, pd.DataFrame):
            raise ValueError(f"{name}: X must be a pandas DataFrame, got {type(X).__name__}")
        if self.batch_col is not None:
            if batch is not None:
                raise ValueError(f"{name}: give the centre either as batch_col={self.batch_col!r} or as batch=, not both")
            if self.batch_col not in X.columns:
                raise ValueError(f"{name}: X has no centre column {self.batch_col!r}")
            batch, X = X[self.batch_col], X.drop(columns=self.batch_col)
        elif batch is None:
            raise ValueError(f"{name}: the centre of each row is needed: pass batch=... or set batch_col")
        X = check_frame(X, name)
        labels = check_batch(batch, X.index, name)
        return X, labels

    def _unseen_reference(self, fit) -> Hashable:
        """``unseen_ref``, else ``ref_batch``, else the largest training centre; it needs >= 2 patients."""
        reference = self.unseen_ref if self.unseen_ref is not None else fit.ref_batch
        sizes = dict(zip(fit.batches, fit.batch_sizes))
        if reference is None:
            reference = max(fit.batches, key=lambda b: sizes[b])  # first of the largest, in sorted order
        if reference not in sizes:
            raise ValueError(f"ComBatHarmonizer: unseen_ref {reference!r} is not a training centre {list(fit.batches)}")
        if sizes[reference] < 2:
            raise ValueError(f"ComBatHarmonizer: the reference centre {reference!r} for unseen centres has one "
                             "training patient; it needs at least two")
        return reference


def _warnings(fit) -> list[str]:
    """What the user should know about the fit (features left as they are, mean-only model)."""
    notes = []
    if fit.unadjusted:
        notes.append(f"ComBat left {len(fit.unadjusted)} feature(s) unadjusted: each is constant within a "
                     f"training centre (e.g. {list(fit.unadjusted)[:3]})")
    if fit.mean_only:
        alone = [b for b, n in zip(fit.batches, fit.batch_sizes) if n == 1]
        notes.append(f"ComBat used its mean-only model (no scale adjustment): centre(s) {alone} have one "
                     "training patient")
    return notes

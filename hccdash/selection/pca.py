"""Principal components of (z-scored) features, fitted on the training rows only, as R's ``prcomp``.

``PCAReducer(n_components, variance).fit(X)`` centres ``X`` with the training column means and
takes the singular value decomposition X_c = U S V'; the component standard deviations are
``sdev = S / sqrt(n - 1)`` and the loadings (R's ``rotation``) the columns of V, so the scores
``(x - mean) V`` equal ``prcomp(x, center = TRUE, scale. = FALSE)$x``. Run after
:class:`~hccdash.selection.Standardizer` (training mean and sd, n - 1) it is
``prcomp(x, center = TRUE, scale. = TRUE)`` (tests/reference/pca). A component's sign is
arbitrary (LAPACK's choice in R); here the loading of largest absolute value is made positive,
so a refit on the same rows gives the same signs.

Components kept: ``n_components`` when given (at most the number of components with a non-zero
sd: min(n - 1, p) for distinct rows), else the fewest whose cumulative share of the variance
reaches ``variance``. Output columns are named ``{prefix}1``, ``{prefix}2``, ... ("dl_pc1").
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from hccdash.columns import require_columns
from hccdash.selection.base import check_frame
from hccdash.settings import SelectionSettings

_DEFAULTS = SelectionSettings()
_RELATIVE_ZERO = 1e-10  # a component whose sd is below this share of the first one's carries no variance


class PCAReducer(TransformerMixin, BaseEstimator):
    """Training-only PCA; see the module docstring.

    Fitted attributes: ``mean_`` (per input column), ``rotation_`` (inputs x kept components),
    ``sdev_`` (every non-null component's sd), ``explained_variance_ratio_`` (every non-null
    component), ``n_components_`` (kept), ``feature_names_in_``.
    """

    def __init__(self, n_components: int | None = _DEFAULTS.deep_pca_components,
                 variance: float = _DEFAULTS.deep_pca_variance, prefix: str = "dl_pc"):
        self.n_components = n_components
        self.variance = variance
        self.prefix = prefix

    def fit(self, X: pd.DataFrame, y=None):
        """Centre and decompose the training rows ``X`` (numeric, no missing value)."""
        X = check_frame(X, "PCAReducer")
        if len(X) < 2:
            raise ValueError(f"PCAReducer: principal components need at least 2 training rows, got {len(X)}")
        if self.n_components is not None and (isinstance(self.n_components, bool) or int(self.n_components) < 1):
            raise ValueError(f"PCAReducer: n_components must be a whole number >= 1 or None, got {self.n_components!r}")
        if self.n_components is None and not 0 < float(self.variance) <= 1:
            raise ValueError(f"PCAReducer: variance must be a share in (0, 1], got {self.variance!r}")
        values = X.to_numpy(dtype=float)
        self.mean_ = X.mean(axis=0)
        centred = values - self.mean_.to_numpy()
        _, singular, vt = np.linalg.svd(centred, full_matrices=False)
        nonnull = singular > _RELATIVE_ZERO * singular[0]
        if not nonnull.any():
            raise ValueError("PCAReducer: the training features are constant: no principal component")
        singular, vt = singular[nonnull], vt[nonnull]
        largest = np.argmax(np.abs(vt), axis=1)
        vt = vt * np.sign(vt[np.arange(len(vt)), largest])[:, None]
        self.sdev_ = singular / np.sqrt(len(X) - 1)
        variances = self.sdev_ ** 2
        self.explained_variance_ratio_ = variances / variances.sum()
        if self.n_components is not None:
            k = min(int(self.n_components), len(singular))
        else:  # the fewest components reaching the share (a rounding margin so 1.0 means all)
            k = int(np.searchsorted(np.cumsum(self.explained_variance_ratio_), float(self.variance) - 1e-12) + 1)
            k = min(k, len(singular))
        self.n_components_ = k
        self.feature_names_in_ = np.asarray(X.columns, dtype=object)
        self.n_features_in_ = X.shape[1]
        self.rotation_ = pd.DataFrame(vt[:k].T, index=X.columns, columns=self.get_feature_names_out())
        return self

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        """Scores of the kept components: (x - training mean) @ loadings."""
        check_is_fitted(self, "rotation_")
        values = require_columns(X, self.feature_names_in_, needed_by="PCAReducer").to_numpy(dtype=float)
        scores = (values - self.mean_.to_numpy()) @ self.rotation_.to_numpy()
        return pd.DataFrame(scores, index=X.index, columns=self.rotation_.columns)

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        """``{prefix}1`` .. ``{prefix}k``."""
        check_is_fitted(self, "n_components_")
        return np.asarray([f"{self.prefix}{j + 1}" for j in range(self.n_components_)], dtype=object)

    def set_output(self, *, transform=None):
        """Output is always pandas."""
        return self

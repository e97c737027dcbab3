"""Feature selection steps, scikit-learn style, each fitted on the training split only.

Order of the default pipeline (METHODS.md): ICC -> zero / near-zero variance ->
univariate -> correlation -> mRMR -> (random-forest importance) -> z-score -> LASSO;
:class:`ComBatHarmonizer` removes centre effects (ComBat) and is not in that chain yet;
:func:`selection_stability` repeats a selection on bootstrap resamples. The chain, the
rad-score and the models built on it are in :mod:`hccdash.modeling`.
"""

from hccdash.selection.combat import ComBatHarmonizer
from hccdash.selection.correlation import CorrelationFilter, correlation_matrix, find_correlation
from hccdash.selection.icc_filter import ICCFilter, feature_icc
from hccdash.selection.lasso import LassoSelector
from hccdash.selection.mrmr import MRMRSelector
from hccdash.selection.random_forest import RFImportanceSelector
from hccdash.selection.stability import selection_stability
from hccdash.selection.standardize import Standardizer
from hccdash.selection.univariate import UnivariateFilter, univariate_pvalues
from hccdash.selection.variance import VarianceFilter, near_zero_var

__all__ = [
    "ComBatHarmonizer",
    "CorrelationFilter",
    "ICCFilter",
    "LassoSelector",
    "MRMRSelector",
    "RFImportanceSelector",
    "Standardizer",
    "UnivariateFilter",
    "VarianceFilter",
    "correlation_matrix",
    "feature_icc",
    "find_correlation",
    "near_zero_var",
    "selection_stability",
    "univariate_pvalues",
]

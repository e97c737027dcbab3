"""Plain statistical functions: pandas / numpy in, numbers and frames out.

The public API (documented in the README). Names are resolved lazily from the module
that implements them, so importing ``hccdash.stats`` stays cheap.
"""

from __future__ import annotations

from hccdash.lazy import lazy_getattr

# These functions share their module's name: bind them now, or importing the module
# (anywhere) would leave the package attribute pointing at the module.
from hccdash.stats.combat import combat
from hccdash.stats.icc import icc
from hccdash.stats.pretty import pretty
from hccdash.stats.reclassification import reclassification

_EXPORTS: dict[str, str] = {
    # discrimination
    "harrell_c": "concordance",
    "bootstrap_c": "concordance",
    "uno_c": "concordance",
    "harrell_c_se": "concordance",
    "c_difference_test": "concordance",
    # reclassification
    "reclassification": "reclassification",
    "reclassification_at": "reclassification",
    # reproducibility
    "icc": "icc",
    "icc_per_feature": "icc",
    # harmonisation across centres
    "combat": "combat",
    "combat_fit": "combat",
    "CombatFit": "combat",
    # models
    "cox_fit": "cox",
    "CoxModel": "cox",
    "univariable_cox": "cox",
    "logistic_fit": "logistic",
    "LogisticModel": "logistic",
    "likelihood_ratio_test": "likelihood",
    "ph_test": "proportional_hazards",
    "zph": "proportional_hazards",
    "ZphResult": "proportional_hazards",
    "vif": "collinearity",
    "wald_table": "wald",
    # penalised models
    "lasso_cox": "lasso",
    "lasso_logistic": "lasso",
    "lasso_path": "lasso",
    "cv_lasso": "lasso",
    "LassoPath": "lasso",
    "CVLassoResult": "lasso",
    # survival curves and tests
    "km_survival": "survival",
    "logrank": "survival",
    "max_logrank_cutoff": "survival",
    "max_logrank": "survival",
    "kaplan_meier": "survival",
    "km_at": "survival",
    "number_at_risk": "survival",
    "hazard_ratio_groups": "survival",
    "time_dependent_auc": "time_auc",
    "time_dependent_roc": "time_auc",
    "brier_score": "brier",
    "scaled_brier": "brier",
    # external validation
    "validate_cox": "validation",
    "validate_logistic": "validation",
    # binary outcomes
    "delong_ci": "roc",
    "delong_test": "roc",
    "youden_cutoff": "roc",
    "roc_curve": "roc",
    "auc": "roc",
    "classification_metrics": "roc",
    "hosmer_lemeshow": "calibration",
    "calibration_binary": "calibration",
    "calibration_survival": "calibration",
    "net_benefit": "decision",
    "decision_curve": "decision",
    "net_benefit_survival": "decision",
    "nomogram_points": "nomogram",
    "nomogram_axes": "nomogram",
    "survival_axis": "nomogram",
    "probability_axis": "nomogram",
    "pretty": "pretty",
    # rms: splines, bootstrap validation and calibration
    "rcs_knots": "splines",
    "rcs_basis": "splines",
    "rcs_names": "splines",
    "lowess": "smoothing",
    "cox_indices": "rms_validate",
    "logistic_indices": "rms_validate",
    "validate_cph": "rms_validate",
    "validate_lrm": "rms_validate",
    "calibrate_cph": "rms_calibrate",
    "calibrate_lrm": "rms_calibrate",
    "contrast_effect": "effects",
    "interquartile_range": "effects",
}

__all__ = sorted(_EXPORTS)


__getattr__ = lazy_getattr(__name__, _EXPORTS, globals())


def __dir__() -> list[str]:
    return __all__

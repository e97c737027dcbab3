"""Settings.from_dict: wrong types, out-of-range values and bad choices name the key and what is allowed."""

from __future__ import annotations

import pytest

from hccdash.settings import Settings


@pytest.mark.parametrize("data, message", [
    ({"selection": {"icc_threshold": 1.5}}, r"selection\.icc_threshold must be a number >= 0 and <= 1 or null"),
    ({"selection": {"correlation_threshold": -1}}, r"selection\.correlation_threshold must be a number > 0"),
    ({"selection": {"mrmr_k": 0}}, r"selection\.mrmr_k must be a whole number >= 1 or null \(off\), got 0"),
    ({"selection": {"mrmr_k": "20"}}, r"selection\.mrmr_k .*got '20'"),
    ({"selection": {"mrmr_k": 2.5}}, r"selection\.mrmr_k .*got 2\.5"),
    ({"selection": {"lasso_lambda": "lambda.max"}}, r"lasso_lambda must be one of \['lambda\.min', 'lambda\.1se'\]"),
    ({"selection": {"lasso_lambda": 0}}, r"lasso_lambda .*a number > 0, got 0"),
    ({"selection": {"lasso_folds": 1}}, r"lasso_folds must be one of \['loo'\] or a whole number >= 2"),
    ({"selection": {"univariate_p": float("nan")}}, r"selection\.univariate_p .*got nan"),
    ({"selection": {"variance_filter": "yes"}}, r"selection\.variance_filter must be bool"),
    ({"selection": {"phases": "portal"}}, r"selection\.phases must be tuple\[str, \.\.\.\]"),
    ({"model": {"ties": "exact"}}, r"model\.ties must be one of \['efron', 'breslow'\]"),
    ({"split": {"train_fraction": 1}}, r"split\.train_fraction must be a number > 0 and < 1"),
    ({"evaluation": {"horizons_months": [12, -1]}}, r"evaluation\.horizons_months must be a number > 0"),
    ({"evaluation": {"n_bootstrap": float("inf")}}, r"evaluation\.n_bootstrap must be a whole number >= 1"),
    ({"evaluation": {"dca_thresholds": [0.5, 0.1, 0.01]}}, r"evaluation\.dca_thresholds must be \(first, last, step\)"),
    ({"evaluation": {"n_jobs": 0}}, r"evaluation\.n_jobs must be -1"),
    ({"calculator": {"hard_limits": [["(", 0, None]]}}, r"calculator\.hard_limits: pattern '\(' is not a regular"),
])
def test_bad_values_are_refused_naming_the_key(data, message):
    with pytest.raises(ValueError, match=message):
        Settings.from_dict(data)


def test_valid_values_pass_and_round_trip():
    settings = Settings.from_dict({"selection": {"icc_threshold": None, "mrmr_k": 5, "lasso_folds": "loo",
                                                 "lasso_lambda": 0.05, "phases": ["portal"]},
                                   "calculator": {"hard_limits": [["age", 0, 120]]}})
    assert settings.selection.phases == ("portal",) and settings.selection.lasso_lambda == 0.05
    assert settings.calculator.hard_limits == (("age", 0, 120),)
    assert Settings.from_dict(settings.to_dict()) == settings
    assert Settings.from_dict(Settings().to_dict()) == Settings()

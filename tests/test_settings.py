"""Settings.from_dict: wrong types, out-of-range values and bad choices name the key and what is allowed."""

from __future__ import annotations

import dataclasses
import re
import typing

import pytest

from hccdash import settings_schema
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


# The hand tables that held the rules before the JSON Schema (hccdash.settings_schema), kept here as
# test data: choices, and (low, high, low_open, high_open) bounds on a value or every element of a list.
OLD_CHOICES = {
    "split.method": ("random", "centre", "three", "none"), "extraction.roi": ("3d", "2d"),
    "qc.modality": ("CT", "MR"), "selection.icc_kind": ("ICC2_1", "ICC3_1"),
    "selection.icc_missing": ("keep", "drop"), "selection.univariate_test": ("auto", "mannwhitney", "anova"),
    "selection.correlation_method": ("spearman", "pearson"), "selection.lasso_lambda": ("lambda.min", "lambda.1se"),
    "selection.lasso_folds": ("loo",), "selection.fusion": ("lasso", "scores"), "model.endpoint": ("rfs", "er"),
    "model.ties": ("efron", "breslow"), "evaluation.risk_cutoff": ("median", "maxstat"),
}
OLD_BOUNDS = {
    "split.train_fraction": (0, 1, True, True), "split.seed": (0, None, False, False),
    "cohort.geometry_tolerance": (0, None, False, False), "cohort.label": (1, None, False, False),
    "cohort.max_voxels": (1, None, False, False), "cohort.max_time_months": (0, None, True, False),
    "cohort.median_time_months": (0, None, True, False), "cohort.normality_alpha": (0, 1, True, True),
    "cohort.min_expected_count": (0, None, False, False), "cohort.fisher_resamples": (1, None, False, False),
    "cohort.seed": (0, None, False, False), "qc.ct_max_hu": (0, None, True, False),
    "qc.spacing_ratio": (1, None, True, False), "qc.volume_z": (0, None, True, False),
    "qc.min_dice": (0, 1, False, False), "extraction.resampled_spacing": (0, None, True, False),
    "extraction.label": (1, None, False, False), "extraction.bin_width": (0, None, True, False),
    "extraction.normalize_scale": (0, None, True, False), "extraction.log_sigma": (0, None, True, False),
    "selection.icc_threshold": (0, 1, False, False), "selection.freq_cut": (1, None, False, False),
    "selection.unique_cut": (0, 100, False, False), "selection.univariate_p": (0, 1, True, False),
    "selection.correlation_threshold": (0, 1, True, False), "selection.mrmr_k": (1, None, False, False),
    "selection.rf_k": (1, None, False, False), "selection.lasso_folds": (2, None, False, False),
    "selection.lasso_lambda": (0, None, True, False), "selection.seed": (0, None, False, False),
    "selection.stability_resamples": (1, None, False, False), "model.er_horizon_months": (0, None, True, False),
    "model.clinical_p_in": (0, 1, True, False), "model.clinical_p_out": (0, 1, True, False),
    "model.epv_warning": (0, None, False, False), "evaluation.horizons_months": (0, None, True, False),
    "evaluation.n_bootstrap": (1, None, False, False), "evaluation.ci_level": (0, 1, True, True),
    "evaluation.seed": (0, None, False, False), "evaluation.maxstat_minprop": (0, 0.5, True, True),
    "evaluation.min_at_risk": (0, None, False, False), "evaluation.calibration_groups": (2, None, False, False),
    "evaluation.hl_groups": (2, None, False, False), "evaluation.dca_thresholds": (0, 1, True, True),
    "evaluation.at_risk_step_months": (0, None, True, False), "evaluation.optimism_resamples": (1, None, False, False),
    "evaluation.n_jobs": (-1, None, False, False), "calculator.ci_level": (0, 1, True, True),
    "calculator.mahalanobis_quantile": (0, 1, True, True),
}


def _with(key: str, value):
    """Settings data setting ``key`` to ``value``; in a list setting, ``value`` replaces the default's first element."""
    section, name = key.split(".")
    default = getattr(getattr(Settings(), section), name)
    if isinstance(default, tuple) or (default is None and name == "resampled_spacing"):
        default = default or (1.0, 1.0, 1.0)
        value = [value, *default[1:]]
    return {section: {name: value}}


def _schema_verdict(key: str, value):
    """first_error of the default settings with ``key`` set to ``value`` (the schema alone, no relations)."""
    data = Settings().to_dict()
    (section, values), = _with(key, value).items()
    data[section].update(values)
    return settings_schema.first_error(data)


def _whole(key: str) -> bool:
    section, name = key.split(".")
    hint = typing.get_type_hints(type(getattr(Settings(), section)))[name]
    return hint is int or int in typing.get_args(hint)


def test_schema_covers_every_setting_and_nothing_else():
    fields = {f"{s.name}.{f.name}" for s in dataclasses.fields(Settings)
              for f in dataclasses.fields(getattr(Settings(), s.name))}
    assert {f"{s}.{k}" for s, keys in settings_schema.SECTIONS.items() for k in keys} == fields
    assert settings_schema.first_error(Settings().to_dict()) is None


@pytest.mark.parametrize("key", sorted(OLD_CHOICES))
def test_schema_keeps_the_old_choices(key):
    for choice in OLD_CHOICES[key]:
        Settings.from_dict(_with(key, choice))
    with pytest.raises(ValueError, match=rf"Setting {re.escape(key)} must be one of {re.escape(str(list(OLD_CHOICES[key])))}.*got 'other'"):
        Settings.from_dict(_with(key, "other"))


@pytest.mark.parametrize("key", sorted(OLD_BOUNDS))
def test_schema_keeps_the_old_bounds(key):
    """Each bound: the bound itself refused when open, accepted when closed; one step beyond refused."""
    low, high, low_open, high_open = OLD_BOUNDS[key]
    step = 1 if _whole(key) else 1e-6
    refused, accepted = [], []
    if low is not None:
        refused.append(low - step)
        (refused if low_open else accepted).append(low)
    if high is not None:
        refused.append(high + step)
        (refused if high_open else accepted).append(high)
    if key == "evaluation.n_jobs":
        refused.append(0)  # -1 means every core; 0 is no count of processes
    for value in refused:
        assert _schema_verdict(key, value) == (key, False), value
        with pytest.raises(ValueError, match=rf"Setting {re.escape(key)} must be .*got .*{re.escape(repr(value))}"):
            Settings.from_dict(_with(key, value))
    for value in accepted:
        assert _schema_verdict(key, value) is None, value
        Settings.from_dict(_with(key, value))


@pytest.mark.parametrize("key", sorted(OLD_BOUNDS))
def test_schema_refuses_what_is_no_number(key):
    """Booleans, text, NaN, infinity (and a float where a whole number is meant) are refused as the wrong type."""
    probes = [True, "1", float("nan"), float("inf")] + ([2.0] if _whole(key) else [])
    for value in probes:
        assert _schema_verdict(key, value) is not None, value
        if key.endswith("lasso_lambda") and isinstance(value, str) or key.endswith("lasso_folds") and value == "1":
            with pytest.raises(ValueError, match=rf"Setting {re.escape(key)} must be one of"):
                Settings.from_dict(_with(key, value))
            continue
        with pytest.raises(ValueError, match=rf"Setting {re.escape(key)} must be .* \(type .*\), got"):
            Settings.from_dict(_with(key, value))

"""Study presets and the page's controls."""

from __future__ import annotations

import dataclasses

import pytest

from hccdash.modeling.controls import controls_from_settings, settings_from_controls
from hccdash.modeling.presets import PRESETS, external_centres, preset
from hccdash.settings import Settings, SplitSettings

PHASES = ["arterial", "portal", "delayed"]
VARIABLES = ["age", "AFP", "NLR", "tumour_diameter_mm", "BCLC"]


def test_each_preset_follows_its_study():
    assert PRESETS["000"].selection.lasso_folds == "loo"
    assert PRESETS["000"].selection.fusion == "scores" and PRESETS["000"].selection.mrmr_k == 20
    assert PRESETS["000"].selection.correlation_threshold is None
    assert PRESETS["001"].selection.phases == ("portal",) and PRESETS["001"].selection.icc_threshold is None
    assert PRESETS["001"].selection.variance_filter and PRESETS["001"].selection.correlation_threshold == 0.9
    assert PRESETS["002"].model.endpoint == "er" and PRESETS["002"].selection.rf_k == 25
    assert PRESETS["002"].selection.univariate_test == "anova"
    assert PRESETS["003"].model.er_horizon_months == 6.0 and PRESETS["003"].selection.univariate_test == "mannwhitney"
    assert PRESETS["003dl"].model.er_horizon_months == 6.0 and PRESETS["003dl"].model.endpoint == "er"
    assert PRESETS["003dl"].selection.deep_score and PRESETS["003dl"].selection.deep_lasso_lambda == "lambda.min"
    assert PRESETS["003dl"].selection == dataclasses.replace(PRESETS["003"].selection, deep_score=True)
    assert not any(PRESETS[name].selection.deep_score for name in ("000", "001", "002", "003", "004"))
    assert PRESETS["004"].model.clinical_dichotomise == ("NLR", "tumour_diameter_mm")
    assert PRESETS["004"].selection.lasso_folds == 10 and PRESETS["004"].selection.icc_threshold == 0.75


def test_preset_keeps_only_what_the_cohort_has():
    settings = preset("004", PHASES, ["age", "NLR"])
    assert settings.model.clinical_dichotomise == ("NLR",)
    assert preset("001", ["arterial"]).selection.phases == ()
    with pytest.raises(ValueError, match="Unknown preset"):
        preset("999")


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_controls_round_trip(name):
    """controls -> settings gives back the preset (clinical variables made explicit)."""
    settings = preset(name, PHASES, VARIABLES)
    values = controls_from_settings(settings, PHASES, VARIABLES)
    back = settings_from_controls(values, settings)
    expected_phases = settings.selection.phases or tuple(PHASES)
    assert back.selection == settings.__class__().selection.__class__(**{
        **settings.selection.__dict__, "phases": expected_phases})
    assert back.model.endpoint == settings.model.endpoint
    assert back.model.clinical_dichotomise == settings.model.clinical_dichotomise
    assert back.model.clinical_variables == tuple(VARIABLES)


def test_switched_off_filter_maps_to_none():
    values = controls_from_settings(Settings(), PHASES, VARIABLES)
    values.update(mb_corr_on=False, mb_mrmr_on=False, mb_loo=True)
    settings = settings_from_controls(values)
    assert settings.selection.correlation_threshold is None
    assert settings.selection.mrmr_k is None
    assert settings.selection.lasso_folds == "loo"


def test_out_of_range_control_is_refused_naming_the_key():
    values = controls_from_settings(Settings(), PHASES, VARIABLES)
    values.update(mb_p_in=1.5)  # a p threshold above 1
    with pytest.raises(ValueError, match="clinical_p_in"):
        settings_from_controls(values)


def test_study_004_is_three_cohorts_with_the_second_centre_external():
    centres = ["Centre A"] * 100 + ["Centre B"] * 50 + [None]
    split = preset("004", PHASES, VARIABLES, centres).split
    assert split == SplitSettings(method="three", train_fraction=0.7, seed=42, validation_centres=("Centre B",),
                                  resplit=True)
    assert external_centres(["B"] * 10 + ["A"] * 10 + ["C"] * 3) == ("B", "C")  # tie: A (first sorted) develops
    assert preset("004", PHASES, VARIABLES, ["A"] * 20).split == SplitSettings()  # one centre: the stored split
    assert preset("001", PHASES, VARIABLES, centres).split == SplitSettings()  # other studies keep the stored split


def test_external_centres_control_round_trip():
    settings = preset("004", PHASES, VARIABLES, ["A"] * 5 + ["B"] * 3)
    values = controls_from_settings(settings, PHASES, VARIABLES)
    assert values["mb_external"] == ["B"]
    assert settings_from_controls(values).split == settings.split
    values["mb_external"] = []
    assert settings_from_controls(values, settings).split == SplitSettings()  # back to the stored split
    assert controls_from_settings(Settings(), PHASES, VARIABLES)["mb_external"] == []


def test_combat_controls_round_trip_and_default_off():
    assert controls_from_settings(Settings(), PHASES, VARIABLES)["mb_combat"] is False  # METHODS.md has no ComBat
    values = controls_from_settings(Settings(), PHASES, VARIABLES)
    values.update(mb_combat=True, mb_combat_batch="scanner", mb_combat_ref="GE")
    selection = settings_from_controls(values).selection
    assert (selection.combat, selection.combat_batch, selection.combat_ref_batch) == (True, "scanner", "GE")
    assert controls_from_settings(settings_from_controls(values), PHASES, VARIABLES)["mb_combat_ref"] == "GE"


def test_deep_controls_map_to_the_deep_settings():
    """The deep block's controls: PCA by explained variance or by a number of components, its lambda rule."""
    values = controls_from_settings(preset("003dl", PHASES, VARIABLES), PHASES, VARIABLES)
    assert values["mb_deep_on"] and values["mb_deep_by"] == "variance" and values["mb_deep_lambda"] == "lambda.min"
    values.update(mb_deep_by="components", mb_deep_components=7, mb_deep_lambda="lambda.1se")
    settings = settings_from_controls(values)
    assert settings.selection.deep_pca_components == 7 and settings.selection.deep_lasso_lambda == "lambda.1se"
    values.update(mb_deep_by="variance", mb_deep_variance=0.75, mb_deep_on=False)
    settings = settings_from_controls(values)
    assert settings.selection.deep_pca_components is None and settings.selection.deep_pca_variance == 0.75
    assert not settings.selection.deep_score
    values.update(mb_deep_variance=1.5)
    with pytest.raises(ValueError, match="deep_pca_variance"):
        settings_from_controls(values)

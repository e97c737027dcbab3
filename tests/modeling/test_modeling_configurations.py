"""Model building configurations: YAML with the schema of `fit --settings`, remembered per cohort in the
store (last one and history), applied to the controls at once; presets named by what they are."""

from __future__ import annotations

import dataclasses

import pytest
import yaml

from hccdash.modeling import configurations
from hccdash.modeling.controls import (
    BASE, LAMBDA_RULE, apply_settings, control_state, keep_options, lambda_position, restore_controls,
    settings_from_controls,
)
from hccdash.modeling.presets import PRESETS, preset, preset_label
from hccdash.registry.cli_fit import read_settings
from hccdash.settings import ModelSettings, SelectionSettings, Settings

PHASES = ["arterial", "portal", "delayed"]
VARIABLES = ["age", "AFP", "NLR", "BCLC"]


def _custom() -> Settings:
    return Settings(
        selection=SelectionSettings(icc_threshold=None, correlation_threshold=0.8, mrmr_k=12, lasso_lambda=0.0321,
                                    phases=("portal",), seed=7),
        model=ModelSettings(endpoint="er", er_horizon_months=12.0, ties="breslow", clinical_variables=("AFP", "NLR")),
    )


def test_the_yaml_reads_back_here_and_in_fit_settings(tmp_path):
    settings = _custom()
    text = configurations.configuration_yaml(settings, "cohort A", "Extracted features")
    assert text.startswith("# hccdash Model building configuration (cohort \"cohort A\"")
    assert set(yaml.safe_load(text)) == {"split", "selection", "model"}
    loaded = configurations.read_settings_text(text, "configuration.yaml")
    for section in configurations.SECTIONS:
        assert getattr(loaded, section) == getattr(settings, section)
    path = tmp_path / "configuration.yaml"
    path.write_text(text)
    assert read_settings(path) == loaded  # the file `python -m hccdash fit --settings` reads


@pytest.mark.parametrize("text, message", [
    ("selection:\n  mrmr_k: 0\n", r"selection\.mrmr_k must be"),
    ("selection:\n  lasso_penalty: 1\n", r"Unknown setting\(s\) \['selection\.lasso_penalty'\]"),
    ("- 1\n- 2\n", r"configuration\.yaml must hold a mapping of sections"),
    ("a: &x [1]\nb: *x\n", r"aliases"),
])
def test_a_bad_configuration_is_refused_naming_what_is_wrong(text, message):
    with pytest.raises(ValueError, match=message):
        configurations.read_settings_text(text, "configuration.yaml")


def test_the_store_keeps_the_last_configuration_and_a_history_per_cohort():
    first, second = Settings(), _custom()
    assert configurations.remember("A", "features", first)
    assert not configurations.remember("A", "features", first)  # the newest already
    assert configurations.remember("A", "features", second)
    assert configurations.remember("B", "features", second)
    assert configurations.last_configuration("A", "features").model.ties == "breslow"
    assert configurations.last_configuration("A", "other source") is None
    assert [s.model.ties for _, s in configurations.history("A", "features")] == ["breslow", "efron"]
    assert configurations.remember("A", "features", first)  # gone back to: moves to the top, not repeated
    assert [s.model.ties for _, s in configurations.history("A", "features")] == ["efron", "breslow"]
    for k in range(configurations.HISTORY_KEPT + 5):
        configurations.remember("A", "features", dataclasses.replace(
            first, selection=dataclasses.replace(first.selection, mrmr_k=k + 1)))
    kept = configurations.history("A", "features")
    assert len(kept) == configurations.HISTORY_KEPT and kept[0][1].selection.mrmr_k == configurations.HISTORY_KEPT + 5
    assert len(configurations.history("B", "features")) == 1


def _with_k(k: int) -> Settings:
    base = Settings()
    return dataclasses.replace(base, selection=dataclasses.replace(base.selection, mrmr_k=k))


def test_remember_soon_writes_where_a_burst_of_moves_ends(monkeypatch):
    """A burst of moves writes only its last configuration: by the background thread once it has
    stayed the newest for REMEMBER_AFTER seconds, or at once when the history is read."""
    import time

    from hccdash.store import Store

    monkeypatch.setattr(configurations, "REMEMBER_AFTER", 2.0)
    count = lambda: int(Store().query("SELECT count(*) AS n FROM configurations WHERE cohort = 'A'")["n"].iloc[0])
    for k in (3, 4, 5):
        configurations.remember_soon("A", "features", _with_k(k))
    assert count() == 0  # nothing written while the moves go on
    deadline = time.monotonic() + 20
    while count() == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [s.selection.mrmr_k for _, s in configurations.history("A", "features")] == [5]
    for k in (6, 7):
        configurations.remember_soon("A", "features", _with_k(k))
    configurations.remember_soon("B", "features", _with_k(8))
    assert [s.selection.mrmr_k for _, s in configurations.history("A", "features")] == [7, 5]  # read: written first
    assert configurations.last_configuration("B", "features").selection.mrmr_k == 8


def test_describe_names_what_a_configuration_is():
    assert configurations.describe(_custom()) == (
        "ER 12 mo (logistic); portal; variance + univariate p 0.05 + spearman 0.8 + mRMR 12; "
        "LASSO 10-fold lambda 0.0321; 2 clinical variable(s); stored split")
    assert configurations.describe(Settings()).startswith("RFS (Cox); all phases; ICC 0.75 + variance")


def test_apply_settings_sets_every_control_the_lambda_and_the_hidden_settings():
    state = {"mb_lambda_123": 4, "mb_corr_on": False}
    missing = apply_settings(state, dataclasses.replace(_custom(), model=dataclasses.replace(
        _custom().model, clinical_variables=("AFP", "ALBI"))), PHASES, VARIABLES)
    assert missing == ["ALBI"]
    assert state["mb_corr_on"] and state["mb_corr"] == 0.8 and state["mb_phases"] == ["portal"]
    assert state["mb_clinical"] == ["AFP"] and state[LAMBDA_RULE] == 0.0321
    assert "mb_lambda_123" not in state  # the slider starts again from the lambda
    settings = settings_from_controls(state, state[BASE])
    assert settings.model.ties == "breslow" and settings.selection.seed == 7  # not on the page, kept


def test_lambda_rule_and_hidden_settings_are_kept_per_cohort():
    state: dict = {}
    restore_controls(state, "A", control_state(_custom(), PHASES, VARIABLES))
    assert state[LAMBDA_RULE] == 0.0321 and state[BASE].model.ties == "breslow"
    restore_controls(state, "B", control_state(Settings(), PHASES, VARIABLES))
    assert state[LAMBDA_RULE] == "lambda.min" and state[BASE] == Settings()
    restore_controls(state, "A", control_state(Settings(), PHASES, VARIABLES))
    assert state[LAMBDA_RULE] == 0.0321 and state[BASE].model.ties == "breslow"


def test_lambda_position_of_a_rule_or_a_number():
    lambdas = [0.5, 0.1, 0.05, 0.01]
    assert lambda_position(lambdas, "lambda.1se", {"lambda.1se": 0.1}.get) == 1
    assert lambda_position(lambdas, 0.04, None) == 2 and lambda_position(lambdas, 0.009, None) == 3


def test_presets_are_named_by_study_imaging_and_endpoint():
    assert [preset_label(n) for n in sorted(PRESETS)] == [
        "000 · CT 3-phase · RFS", "001 · CT portal · RFS", "002 · MRI · ER 24 mo", "003 · MRI · ER 6 mo",
        "003dl · MRI · ER 6 mo · deep features", "004 · MRI · RFS · 3 cohorts"]
    assert preset("003").model.er_horizon_months == 6.0


def test_keep_options_drops_what_a_cohort_does_not_offer():
    state = {"mb_external": ["B", "Z"], "mb_log": ["AFP"], "mb_splines": []}
    assert keep_options(state, {"mb_external": ["A", "B"], "mb_log": ["AFP", "NLR"], "mb_splines": ["AFP"]}) == {
        "mb_external": ["Z"]}
    assert state == {"mb_external": ["B"], "mb_log": ["AFP"], "mb_splines": []}


def test_a_pending_configuration_of_a_removed_store_is_dropped(tmp_path, caplog):
    """At exit a configuration whose data folder is gone is not written (no store re-created there)."""
    from hccdash.store import Store

    import shutil
    import time

    from hccdash.store import IDLE_CLOSE

    store = Store(tmp_path / "gone" / "hccdash.duckdb")
    configurations.remember_soon("A", "features", _with_k(9), store)
    time.sleep(3 * IDLE_CLOSE)  # the process's connection to it has closed
    shutil.rmtree(store.path.parent)
    configurations.flush_remembered()
    assert not store.path.exists() and "Could not remember" not in caplog.text

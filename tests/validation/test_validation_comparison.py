"""Two registry models compared on the same patients (hccdash.validation.comparison): each number
is the R-checked statistic (hccdash.stats) on the patients both models predict, the settings
that differ, the optimism-corrected C from a finished optimism job, and the registry page's
comparison section (AppTest)."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from hccdash import paths, stats
from hccdash.registry import registry
from hccdash.validation.comparison import compare_pair, optimism_corrected, settings_differences
from hccdash.validation.inputs import assemble, plan_validation

from validation_fixtures import CENTRES, CLINICAL, COMBINED, ER_MODEL

SMALL = "combined_afp"  # the same pipeline with AFP alone forced in


def _save_small() -> None:
    from hccdash.modeling.builder import ModelBuilder, load_model_inputs
    from hccdash.registry.pipelines import save_build
    from hccdash.settings import Settings

    builder = ModelBuilder(load_model_inputs(CENTRES))
    base = Settings()
    settings = dataclasses.replace(base, model=dataclasses.replace(base.model, clinical_force_in=("AFP",),
                                                                   clinical_p_in=0.01))
    save_build(builder, builder.build(settings, clinical_vars=["AFP", "tumour_diameter_mm"]), SMALL)


@pytest.fixture
def two_cox(home) -> tuple[str, str]:
    _save_small()
    return COMBINED, SMALL


def test_cox_pair_is_the_stats_functions_on_the_common_patients(two_cox):
    a, b = two_cox
    result = compare_pair(a, b, CENTRES, "validation")
    data = {n: assemble(plan_validation(registry.json_model(n), CENTRES, "validation")) for n in (a, b)}
    common = data[a].inputs.index.intersection(data[b].inputs.index)
    planned = data[a].plan.outcome.index.union(data[b].plan.outcome.index)
    assert result.n == len(common) and result.left_out == len(planned) - len(common)  # a missing input
    out = data[a].outcome.loc[common]
    lp = {n: registry.json_model(n).linear_predictor(data[n].inputs.loc[common]) for n in (a, b)}
    test = stats.c_difference_test(out["time"], out["event"], lp[a], lp[b])
    row = result.difference.iloc[0]
    assert (row["value_a"], row["value_b"], row["difference"], row["se"], row["p"]) == pytest.approx(
        (test.c_a, test.c_b, test.difference, test.se, test.p))
    assert row["lower"] == pytest.approx(test.lower) and row["upper"] == pytest.approx(test.upper)
    disc = result.discrimination.set_index("model")
    assert disc.loc[a, "value"] == pytest.approx(stats.harrell_c(out["time"], out["event"], lp[a]))
    assert disc.loc[a, "lower"] < disc.loc[a, "value"] < disc.loc[a, "upper"]
    assert np.isnan(disc.loc[a, "corrected"])  # no optimism run yet
    h = result.horizon
    assert h in registry.json_model(a).horizons
    risk = {n: 1 - registry.json_model(n).predict_survival(data[n].inputs.loc[common], [h])[:, 0] for n in (a, b)}
    expected = stats.reclassification_at(out["time"], out["event"], risk[b], risk[a], h)
    assert result.reclassification.nri == pytest.approx(expected.nri)
    assert result.reclassification.idi_se == pytest.approx(expected.idi_se)
    table = result.reclassification_table()
    assert list(table["measure"]) == ["NRI, events", "NRI, non-events", "NRI (category-free)", "IDI"]


def test_settings_that_differ(two_cox):
    a, b = two_cox
    diff = settings_differences([a, b]).set_index("setting")
    assert diff.loc["settings.model.clinical_force_in", a] == "AFP, ALB, sex"
    assert diff.loc["settings.model.clinical_force_in", b] == "AFP"
    assert "settings.model.ties" not in diff.index  # equal settings are not listed
    assert list(settings_differences([a, a])["setting"]) == []


def test_optimism_corrected_c_comes_from_the_matching_finished_job(two_cox):
    from hccdash.evaluation import optimism
    from hccdash.registry.pipelines import load_saved
    from hccdash.store import Store

    a, _ = two_cox
    record = registry.get(a)
    pipeline = load_saved(a)
    spec = {"cohort": CENTRES, "source": None, "settings": {**record.meta["settings"], "evaluation": {"n_bootstrap": 5}},
            "clinical_vars": list(pipeline.clinical_vars), "n_boot": 10}
    result = {"table": [{"model": "combined", "metric": "C-index", "apparent": 0.7, "optimism": 0.04,
                         "corrected": 0.66, "resamples": 10}], "n_boot": 10, "seed": 0, "seconds": 1.0}
    other = dict(spec, clinical_vars=["AFP"])
    for job_id, job_spec, value in (("validation-old", spec, 0.66), ("validation-other", other, 0.5)):
        table = [dict(result["table"][0], corrected=value)]
        Store().execute("INSERT INTO jobs (job_id, kind, cohort, spec, status, result, created_at, updated_at) "
                        "VALUES (?, ?, ?, ?, 'done', ?, current_timestamp, current_timestamp)",
                        [job_id, optimism.KIND, CENTRES, json.dumps(job_spec), json.dumps(dict(result, table=table))])
    assert optimism_corrected(a) == pytest.approx(0.66)  # the other job has other clinical candidates
    assert optimism_corrected(ER_MODEL) is None  # an imported JSON model has no pipeline settings
    disc = compare_pair(*two_cox, CENTRES, "validation").discrimination.set_index("model")
    assert disc.loc[a, "corrected"] == pytest.approx(0.66)


def _er_afp_model() -> str:
    """A logistic model of ER within 24 months on AFP alone (Centre A), as JSON (cf. er_model)."""
    from hccdash.cohort import load_cohort
    from hccdash.modeling.endpoints import early_recurrence
    from hccdash.registry.model_file import ModelParts, build_spec

    cohort = load_cohort(CENTRES)
    train = cohort.patients[cohort.patients["split"] == "train"]
    er = early_recurrence(train["time"], train["event"], 24.0)
    X = cohort.clinical.loc[er.index, ["AFP"]].dropna()
    fit = stats.logistic_fit(X, er[X.index])
    parts = ModelParts(kind="er", submodel="clinical", coef=fit.coef_, covariance=fit.cov_,
                       intercept=float(fit.intercept_), er_horizon=24.0,
                       terms=[{"name": "AFP", "predictor": "AFP", "type": "linear"}], units={"AFP": "ng/mL"})
    spec = build_spec(parts, X, train.loc[X.index, "time"].to_numpy(), train.loc[X.index, "event"].to_numpy(),
                      name="er_afp", cohort=CENTRES)
    return json.dumps(spec)


def test_logistic_pair_uses_delong_and_improve_prob(home):
    registry.import_json(_er_afp_model(), "er_afp")
    result = compare_pair(ER_MODEL, "er_afp", CENTRES, "all")
    data = {n: assemble(plan_validation(registry.json_model(n), CENTRES, "all")) for n in (ER_MODEL, "er_afp")}
    common = data[ER_MODEL].inputs.index.intersection(data["er_afp"].inputs.index)
    y = data[ER_MODEL].outcome.loc[common, "y"].to_numpy(float)
    p = {n: registry.json_model(n).predict_proba(data[n].inputs.loc[common]) for n in data}
    test = stats.delong_test(y, p[ER_MODEL], p["er_afp"])
    row = result.difference.iloc[0]
    assert row["test"].startswith("AUC difference (DeLong")
    assert (row["value_a"], row["value_b"], row["z"], row["p"]) == pytest.approx((test.auc_a, test.auc_b, test.z, test.p))
    assert row["se"] == pytest.approx(abs(row["difference"] / test.z))
    assert result.discrimination["metric"].tolist() == ["AUC", "AUC"] and result.horizon is None
    assert result.discrimination["lower"].iloc[0] == pytest.approx(stats.delong_ci(y, p[ER_MODEL])[1])
    expected = stats.reclassification(y, p["er_afp"], p[ER_MODEL])
    assert result.reclassification.to_dict() == pytest.approx(expected.to_dict())
    assert result.n == len(common) and result.n_events == int(y.sum())


def test_models_of_different_endpoints_are_refused(home):
    with pytest.raises(ValueError, match="predict different outcomes"):
        compare_pair(COMBINED, ER_MODEL, CENTRES, "validation")


def test_registry_page_compares_two_models_on_the_same_patients(two_cox):
    a, b = two_cox
    at = AppTest.from_file(str(paths.PROJECT_DIR / "app.py"), default_timeout=300).run()
    at.switch_page("pages/5_model_registry.py").run()
    assert not at.exception, at.exception
    at.multiselect(key="registry_compare").set_value([a, b, ER_MODEL]).run()
    settings = next(f.value for f in at.dataframe if "setting" in f.value.columns)  # the settings that differ
    assert {a, b, ER_MODEL} <= set(settings.columns)
    assert "settings.model.clinical_force_in" in set(settings["setting"])
    at.selectbox(key="registry_pair_a").set_value(a).run()
    at.selectbox(key="registry_pair_b").set_value(b).run()
    at.selectbox(key="registry_pair_cohort").set_value(CENTRES).run()
    at.button(key="registry_pair_run").click().run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    expected = compare_pair(a, b, CENTRES, "validation", horizon=at.selectbox(key="registry_pair_horizon").value)
    shown = {tuple(frame.value.columns): frame.value for frame in at.dataframe}
    disc = next(v for k, v in shown.items() if "corrected" in k)
    assert list(disc["model"]) == [a, b]
    assert disc["value"].astype(float).tolist() == pytest.approx(expected.discrimination["value"].tolist())
    diff = next(v for k, v in shown.items() if "difference" in k)
    assert float(diff["difference"].iloc[0]) == pytest.approx(expected.difference["difference"].iloc[0])
    nri = next(v for k, v in shown.items() if "measure" in k)
    assert float(nri.set_index("measure").loc["NRI (category-free)", "estimate"]) == pytest.approx(
        expected.reclassification.nri)
    # an ER model against a Cox model: refused with a message, nothing shown
    at.selectbox(key="registry_pair_b").set_value(ER_MODEL).run()
    at.button(key="registry_pair_run").click().run()
    assert any("predict different outcomes" in e.value for e in at.error)


def test_registry_page_names_a_damaged_model_file(two_cox):
    a, b = two_cox
    path = registry.get(a).path
    path.write_bytes(path.read_bytes()[:-10])
    at = AppTest.from_file(str(paths.PROJECT_DIR / "app.py"), default_timeout=300).run()
    at.switch_page("pages/5_model_registry.py").run()
    at.multiselect(key="registry_compare").set_value([a, b]).run()
    at.selectbox(key="registry_pair_a").set_value(a).run()
    assert not at.exception, at.exception
    assert "registry_pair_run" not in [button.key for button in at.button]
    assert sum("cannot be read" in e.value for e in at.error) == 2  # Details and the comparison

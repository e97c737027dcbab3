"""Optimism bootstrap: the whole pipeline is refitted per resample; on pure noise the
apparent C is inflated and the corrected C falls back to about 0.5."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest
from sksurv.util import Surv

from hccdash.evaluation import optimism
from hccdash.evaluation.optimism import PipelineFitter, optimism_bootstrap, pipeline_scores, resample_indices
from hccdash.jobs import job_status
from hccdash.settings import SelectionSettings, Settings

from evaluation_fixtures import QUICK, SOURCE

NOISE = Settings(selection=SelectionSettings(icc_threshold=None, variance_filter=False, univariate_p=0.2,
                                             correlation_threshold=None, mrmr_k=None, lasso_folds=3,
                                             lasso_lambda=0.02))


def _noise(n: int = 80, p: int = 30, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.normal(size=(n, p)), columns=[f"portal.f{j}" for j in range(p)],
                     index=pd.Index([f"P{i}" for i in range(n)], name="patient_id"))
    return X, Surv.from_arrays(rng.random(n) < 0.7, rng.exponential(20, n))


def test_pure_noise_apparent_c_is_inflated_and_corrected_c_is_near_half():
    X, y = _noise()
    result = optimism_bootstrap(PipelineFitter(NOISE, ()), pipeline_scores, X, y, n_boot=20, seed=1)
    row = result.table.set_index("model").loc["combined"]
    assert row["apparent"] > 0.6  # selection on noise fits noise
    assert row["optimism"] > 0.05
    assert abs(row["corrected"] - 0.5) < 0.08
    assert row["corrected"] == pytest.approx(row["apparent"] - row["optimism"])
    assert "clinical" not in result.table["model"].tolist()  # no clinical model: nothing to correct
    per = result.resamples[result.resamples["model"] == "combined"]
    assert row["optimism"] == pytest.approx((per["boot"] - per["original"]).mean())
    assert len(per) == 20 and not result.failures


def test_each_resample_refits_on_its_own_rows_and_scores_on_the_original():
    X, y = _noise(40, 8)
    seen = []

    def fit(Xb, yb):
        seen.append(list(Xb.index))
        return PipelineFitter(NOISE, ())(Xb, yb)

    result = optimism_bootstrap(fit, pipeline_scores, X, y, n_boot=3, seed=7)
    drawn = resample_indices(len(X), 3, 7)
    assert seen[0] == list(X.index)  # the apparent fit
    for rows, ids in zip(drawn, seen[1:]):
        assert [i.split("~")[0] for i in ids] == list(X.index[rows])  # duplicates renamed id~k
        assert len(set(ids)) == len(ids)
    assert result.n_boot == 3


@pytest.mark.slow
def test_parallel_run_equals_serial_run():
    X, y = _noise(50, 10, seed=3)
    serial = optimism_bootstrap(PipelineFitter(NOISE, ()), pipeline_scores, X, y, n_boot=4, seed=2, n_jobs=1)
    parallel = optimism_bootstrap(PipelineFitter(NOISE, ()), pipeline_scores, X, y, n_boot=4, seed=2, n_jobs=2)
    pd.testing.assert_frame_equal(serial.table, parallel.table)
    pd.testing.assert_frame_equal(serial.resamples, parallel.resamples)


@pytest.mark.slow
def test_background_job_reports_progress_and_result(stored_cohort):
    job = optimism.start(stored_cohort, SOURCE, QUICK, ["AFP"], 3)
    deadline = time.time() + 240
    status = job_status(job)
    while status.active and time.time() < deadline:
        time.sleep(1)
        status = job_status(job)
    assert status.status == "done", (status.message, status.log_path.read_text()[-2000:])
    assert status.n_total == 3 and status.n_done + status.n_failed == 3
    result = optimism.OptimismResult.from_json(status.result)
    assert set(result.table["model"]) == {"radiomics", "clinical", "combined"}
    assert set(result.table["metric"]) == {"C-index"}
    assert result.n_boot == 3


@pytest.mark.slow
def test_dask_cluster_run_equals_serial_run():
    from distributed import LocalCluster

    X, y = _noise(50, 10, seed=4)
    serial = optimism_bootstrap(PipelineFitter(NOISE, ()), pipeline_scores, X, y, n_boot=3, seed=5, n_jobs=1)
    with LocalCluster(n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None) as cluster:
        on_dask = optimism_bootstrap(PipelineFitter(NOISE, ()), pipeline_scores, X, y, n_boot=3, seed=5,
                                     scheduler=cluster.scheduler_address)
    pd.testing.assert_frame_equal(serial.resamples, on_dask.resamples)


def test_table_names_the_model_and_the_metric():
    """The CSV's first column holds model names (``model``), then the metric's name; results
    stored with the old layout (model names under ``metric``) read back the same way."""
    X, y = _noise(40, 8, seed=5)
    result = optimism_bootstrap(PipelineFitter(NOISE, ()), pipeline_scores, X, y, n_boot=2, seed=1, metric="AUC")
    assert list(result.table.columns[:2]) == ["model", "metric"]
    assert result.table["model"].tolist() == ["radiomics", "combined"] and set(result.table["metric"]) == {"AUC"}
    assert "model" in result.resamples and "metric" not in result.resamples
    old = result.to_json()
    old["table"] = result.table.drop(columns="metric").rename(columns={"model": "metric"}).to_dict("records")
    assert optimism.OptimismResult.from_json(old).table["model"].tolist() == ["radiomics", "combined"]

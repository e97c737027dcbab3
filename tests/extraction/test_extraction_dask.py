"""The Dask path: the same run on a distributed LocalCluster gives the same stored features."""

from __future__ import annotations

from distributed import LocalCluster

from hccdash.extraction.engine import cases_from_images, run_extraction
from hccdash.extraction.manifest import manifest_images
from hccdash.store import Store

from extraction_helpers import write_variants


def test_dask_cluster_run_matches_local_run(pyrad_data, tmp_path, tiny_spec, hccdash_home, monkeypatch):
    frame = write_variants(pyrad_data, tmp_path / "img", 4)
    frame.to_csv(tmp_path / "m.csv", index=False)
    cases = cases_from_images(manifest_images(tmp_path / "m.csv"), tiny_spec)
    with LocalCluster(n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None) as cluster:
        summary = run_extraction(cases, tiny_spec, scheduler=cluster.scheduler_address)
    assert (summary.n_computed, summary.n_failed) == (4, 0)
    on_dask = Store().query("SELECT * FROM features ORDER BY case_key, feature")

    monkeypatch.setenv("HCCDASH_HOME", str(tmp_path / "second_home"))
    local = run_extraction(cases, tiny_spec, n_jobs=2)
    assert local.n_computed == 4
    on_loky = Store().query("SELECT * FROM features ORDER BY case_key, feature")
    assert len(on_dask) == 4 * len(on_dask["feature"].unique()) > 0
    assert on_dask.equals(on_loky)

"""The shipped sample feature table: keyed like a real extraction, loaded without recomputing, reproducible."""

from __future__ import annotations

import pandas as pd
import pytest

from hccdash import paths
from hccdash.extraction.engine import cases_from_images, run_extraction
from hccdash.extraction.manifest import manifest_images
from hccdash.extraction.matrices import feature_matrix
from hccdash.extraction.params import spec_from_settings
from hccdash.extraction.sample_features import SAMPLE_FEATURES, ensure_sample_features, stored_case_table
from hccdash.store import Store

from extraction_helpers import store_images, write_variants


def test_table_loads_into_a_fresh_store_and_counts_as_cached(pyrad_data, tmp_path, monkeypatch):
    frame = write_variants(pyrad_data, tmp_path / "img", 2)
    frame.to_csv(tmp_path / "m.csv", index=False)
    spec = spec_from_settings()
    cases = cases_from_images(manifest_images(tmp_path / "m.csv"), spec)
    run_extraction(cases, spec, n_jobs=1)
    table = stored_case_table([c.case_key for c in cases])
    assert len(table) == 2 and table.shape[1] > 1000  # default settings: Original + Wavelet + LoG
    path = tmp_path / "features.parquet"
    table.to_parquet(path, index=False)

    monkeypatch.setenv("HCCDASH_HOME", str(tmp_path / "fresh"))
    assert ensure_sample_features(path) == 0  # no cohort holds these images yet
    store_images(frame, cohort="sample")
    assert ensure_sample_features(path) == 2
    assert ensure_sample_features(path) == 0  # idempotent
    rerun = run_extraction(cases, spec, n_jobs=1)
    assert (rerun.n_cached, rerun.n_computed) == (2, 0)
    assert feature_matrix("sample").shape == (2, table.shape[1] - 9)
    reloaded = stored_case_table([c.case_key for c in cases], Store())
    pd.testing.assert_frame_equal(reloaded.drop(columns="seconds"), table.drop(columns="seconds"), check_dtype=False)


@pytest.mark.slow
def test_shipped_sample_features_are_reproduced_by_extraction():
    manifest = paths.SAMPLE_DIR / "manifest.csv"
    if not SAMPLE_FEATURES.is_file() or not (paths.SAMPLE_DIR / "images").is_dir():
        pytest.skip("sample images or sample_data/features.parquet not built")
    spec = spec_from_settings()
    images = manifest_images(manifest).iloc[[0, 4]]
    cases = cases_from_images(images, spec)
    shipped = pd.read_parquet(SAMPLE_FEATURES).set_index("case_key")
    assert {c.case_key for c in cases} <= set(shipped.index)  # keyed exactly like a real extraction
    summary = run_extraction(cases, spec, n_jobs=2)
    assert summary.n_computed == 2
    fresh = stored_case_table([c.case_key for c in cases]).set_index("case_key")
    features = [c for c in fresh.columns if c.startswith(("original_", "wavelet-", "log-sigma"))]
    assert len(features) > 1000
    expected = shipped.loc[fresh.index, features].astype(float)
    pd.testing.assert_frame_equal(fresh[features].astype(float), expected, rtol=1e-9, atol=0)

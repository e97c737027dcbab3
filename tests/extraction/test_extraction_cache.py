"""Cache keys: content decides, names do not; a rerun of an unchanged cohort extracts nothing."""

from __future__ import annotations

import json
import os
import shutil

import SimpleITK as sitk

from hccdash import paths
from hccdash.extraction import cache
from hccdash.extraction.engine import cases_from_images, run_extraction
from hccdash.extraction.ingest import case_file
from hccdash.extraction.manifest import manifest_images
from hccdash.extraction.params import ExtractionSpec
from hccdash.store import Store

from extraction_helpers import TINY_PARAMS, write_variants


def _run(manifest_frame, tmp_path, spec, name="manifest.csv"):
    path = tmp_path / name
    manifest_frame.to_csv(path, index=False)
    return run_extraction(cases_from_images(manifest_images(path), spec), spec, n_jobs=1)


def test_rerun_extracts_nothing_and_changed_content_recomputes_only_that_case(pyrad_data, tmp_path, tiny_spec):
    frame = write_variants(pyrad_data, tmp_path / "img", 4)
    first = _run(frame, tmp_path, tiny_spec)
    assert (first.n_total, first.n_computed, first.n_failed) == (4, 4, 0)
    again = _run(frame, tmp_path, tiny_spec)
    assert (again.n_cached, again.n_computed) == (4, 0)

    image = sitk.ReadImage(frame.at[2, "image"])
    sitk.WriteImage(image + 1, frame.at[2, "image"])  # new content under the same name
    changed = _run(frame, tmp_path, tiny_spec)
    assert (changed.n_cached, changed.n_computed) == (4 - 1, 1)
    assert Store().query("SELECT count(*) AS n FROM cases")["n"].iloc[0] == 5  # the old key stays cached


def test_renaming_or_moving_files_recomputes_nothing(pyrad_data, tmp_path, tiny_spec):
    frame = write_variants(pyrad_data, tmp_path / "img", 3)
    _run(frame, tmp_path, tiny_spec)
    moved = tmp_path / "elsewhere"
    moved.mkdir()
    for column in ("image", "mask"):
        new_paths = []
        for old in frame[column]:
            target = moved / f"renamed_{os.path.basename(old)}"
            if not target.exists():
                shutil.move(old, target)
            new_paths.append(str(target))
        frame[column] = new_paths
    rerun = _run(frame, tmp_path, tiny_spec, "moved.csv")
    assert (rerun.n_cached, rerun.n_computed) == (3, 0)


def test_changing_a_setting_recomputes_and_old_results_stay(pyrad_data, tmp_path, tiny_spec):
    frame = write_variants(pyrad_data, tmp_path / "img", 2)
    _run(frame, tmp_path, tiny_spec)
    other = ExtractionSpec.from_dict({"params": dict(TINY_PARAMS, setting={"binWidth": 10})})
    assert _run(frame, tmp_path, other).n_computed == 2
    assert _run(frame, tmp_path, tiny_spec).n_computed == 0
    assert _run(frame, tmp_path, other).n_computed == 0


def test_case_key_parts():
    base = cache.case_key("a" * 64, "b" * 64, 1, "s", "v")
    assert base == cache.case_key("a" * 64, "b" * 64, 1, "s", "v")
    variants = [
        cache.case_key("c" * 64, "b" * 64, 1, "s", "v"),
        cache.case_key("a" * 64, "c" * 64, 1, "s", "v"),
        cache.case_key("a" * 64, "b" * 64, 2, "s", "v"),
        cache.case_key("a" * 64, "b" * 64, 1, "t", "v"),
        cache.case_key("a" * 64, "b" * 64, 1, "s", "w"),
    ]
    assert base not in variants and len(set(variants)) == 5
    assert "pyradiomics=" in cache.versions() and "SimpleITK=" in cache.versions()


def test_lost_store_rows_are_recovered_from_case_files(pyrad_data, tmp_path, tiny_spec):
    frame = write_variants(pyrad_data, tmp_path / "img", 3)
    _run(frame, tmp_path, tiny_spec)
    keys = Store().query("SELECT case_key FROM cases")["case_key"].tolist()
    assert all(case_file(k).exists() for k in keys)
    features_before = Store().query("SELECT * FROM features ORDER BY case_key, feature")
    Store().execute("DELETE FROM features")
    Store().execute("DELETE FROM cases")
    rerun = _run(frame, tmp_path, tiny_spec)
    assert (rerun.n_recovered, rerun.n_computed) == (3, 0)
    after = Store().query("SELECT * FROM features ORDER BY case_key, feature")
    assert after.equals(features_before)

"""Resume after an interrupted run: kill the CLI mid-run, run again, every case present once."""

from __future__ import annotations

import subprocess
import sys
import time

import pandas as pd
import pytest
import yaml

from hccdash import paths
from hccdash.store import Store

from extraction_helpers import write_variants

N_CASES = 6


def _extract(manifest, params, out) -> list[str]:
    return [sys.executable, "-m", "hccdash", "extract", "--manifest", str(manifest), "--params", str(params),
            "--jobs", "1", "--out", str(out)]


def _case_files() -> int:
    return sum(1 for p in paths.cache_dir().glob("*.json") if p.name != "file_hashes.json")


@pytest.mark.slow
def test_killed_run_resumes_without_loss_or_duplicates(pyrad_data, tmp_path):
    frame = write_variants(pyrad_data, tmp_path / "img", N_CASES, case="brain1")
    manifest = tmp_path / "manifest.csv"
    frame.to_csv(manifest, index=False)
    params = tmp_path / "params.yaml"
    params.write_text(yaml.safe_dump({"imageType": {"Original": {}}, "setting": {"binWidth": 25}}))
    out = tmp_path / "features.csv"

    process = subprocess.Popen(_extract(manifest, params, out), stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while _case_files() < 2 and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    process.kill()
    process.wait()
    done_before = _case_files()
    assert 2 <= done_before < N_CASES, "the run was not interrupted mid-way"
    assert not out.exists()

    rerun = subprocess.run(_extract(manifest, params, out), capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    assert f"{N_CASES - done_before} computed" in rerun.stderr  # only the rest was computed

    table = pd.read_csv(out)
    assert sorted(table["patient_id"]) == sorted(frame["patient_id"])
    assert list(table.columns[:3]) == ["patient_id", "phase", "reader"]
    counts = Store().query("SELECT case_key, count(*) AS n FROM features GROUP BY case_key")
    assert len(counts) == N_CASES and counts["n"].nunique() == 1
    assert Store().query("SELECT count(*) AS n FROM cases")["n"].iloc[0] == N_CASES

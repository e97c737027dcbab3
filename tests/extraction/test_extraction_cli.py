"""``python -m hccdash extract``: the table it writes, its progress and failure reports, bad manifests."""

from __future__ import annotations

import pandas as pd
import yaml

from hccdash.cli import main
from hccdash.store import Store

from extraction_helpers import TINY_PARAMS, write_variants


def _files(pyrad_data, tmp_path, n=3):
    frame = write_variants(pyrad_data, tmp_path / "img", n)
    params = tmp_path / "params.yaml"
    params.write_text(yaml.safe_dump(TINY_PARAMS))
    return frame, params


def test_extract_writes_one_row_per_case_and_fills_the_cache(pyrad_data, tmp_path, capsys):
    frame, params = _files(pyrad_data, tmp_path)
    frame["image"] = [p.replace(str(tmp_path), "..") for p in frame["image"]]  # relative to the manifest
    frame["mask"] = [p.replace(str(tmp_path), "..") for p in frame["mask"]]
    (tmp_path / "lists").mkdir()
    manifest = tmp_path / "lists" / "m.csv"
    frame.drop(columns="reader").to_csv(manifest, index=False)
    out = tmp_path / "out.csv"
    assert main(["extract", "--manifest", str(manifest), "--params", str(params), "--jobs", "2", "--out", str(out)]) == 0
    table = pd.read_csv(out)
    assert list(table.columns[:3]) == ["patient_id", "phase", "reader"]
    assert table["patient_id"].tolist() == ["P000", "P001", "P002"]
    assert "original_firstorder_Mean" in table.columns and not any(c.startswith("diagnostics") for c in table.columns)
    assert table["original_firstorder_Mean"].diff().dropna().round(6).tolist() == [7.0, 7.0]  # images shifted by 7
    err = capsys.readouterr().err
    assert "extract: 3/3 finished (3 done, 0 failed)" in err and "3 computed" in err
    assert Store().query("SELECT count(*) AS n FROM cases WHERE status = 'done'")["n"].iloc[0] == 3

    parquet = tmp_path / "out.parquet"
    assert main(["extract", "--manifest", str(manifest), "--params", str(params), "--out", str(parquet)]) == 0
    err = capsys.readouterr().err
    assert "3 cached" in err and "0 computed" in err
    pd.testing.assert_frame_equal(pd.read_parquet(parquet), pd.read_csv(out, dtype={"reader": str}))


def test_failed_cases_are_listed_and_exit_code_is_1(pyrad_data, tmp_path, capsys):
    frame, params = _files(pyrad_data, tmp_path, n=2)
    bad = tmp_path / "img" / "bad.nrrd"
    bad.write_bytes(b"not an image")
    frame.loc[len(frame)] = {"patient_id": "BAD", "phase": "portal", "reader": "1", "image": str(bad), "mask": frame.at[0, "mask"]}
    frame.to_csv(tmp_path / "m.csv", index=False)
    code = main(["extract", "--manifest", str(tmp_path / "m.csv"), "--params", str(params), "--out", str(tmp_path / "o.csv")])
    assert code == 1
    err = capsys.readouterr().err
    assert f"failed: BAD portal reader 1: The image {bad.resolve()} cannot be read: SimpleITK does not recognise it" in err
    assert pd.read_csv(tmp_path / "o.csv")["patient_id"].tolist() == ["P000", "P001"]


def test_bad_manifest_is_refused_with_rows_named(tmp_path, capsys):
    manifest = tmp_path / "m.csv"
    manifest.write_text("patient_id,phase,image\nA,portal,a.nii.gz\n")
    assert main(["extract", "--manifest", str(manifest), "--out", str(tmp_path / "o.csv")]) == 2
    assert f"{manifest}: manifest column(s) ['mask'] missing in the header (row 1)" in capsys.readouterr().err
    manifest.write_text("patient_id,phase,image,mask\nA,portal,a.nii.gz,m.nii.gz\nA,portal,a.nii.gz,m.nii.gz\n")
    assert main(["extract", "--manifest", str(manifest), "--out", str(tmp_path / "o.csv")]) == 2
    assert "duplicate (patient_id, phase, reader) in row(s) [2, 3]" in capsys.readouterr().err
    manifest.write_text("patient_id,phase,image,mask\nA,portal,a.nii.gz,m.nii.gz\n")
    assert main(["extract", "--manifest", str(manifest), "--out", str(tmp_path / "o.csv")]) == 2
    assert f"image file(s) not found: row 2: '{tmp_path / 'a.nii.gz'}'" in capsys.readouterr().err
    params = tmp_path / "p.yaml"
    params.write_text("setting:\n  binWidth: 0\n")
    assert main(["extract", "--manifest", str(manifest), "--params", str(params), "--out", str(tmp_path / "o.csv")]) == 2
    assert "setting.binWidth = 0 is out of range: must be > 0" in capsys.readouterr().err

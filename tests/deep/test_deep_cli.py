"""``python -m hccdash extract --deep NETWORK.onnx``: the table, the cache, bad networks named."""

from __future__ import annotations

import numpy as np
import pandas as pd
import SimpleITK as sitk

from hccdash.cli import main
from hccdash.deep import DeepSettings, case_features, list_networks
from hccdash.deep.cli_extract import default_name

from deep_helpers import write_cases


def test_extract_deep_writes_dl_columns_and_caches(cnn_file, tmp_path, capsys):
    frame = write_cases(tmp_path / "img", 2)
    frame.to_csv(tmp_path / "m.csv", index=False)
    out = tmp_path / "deep.csv"
    args = ["extract", "--manifest", str(tmp_path / "m.csv"), "--deep", str(cnn_file), "--min-area", "10",
            "--pooling", "largest", "--jobs", "1", "--out", str(out)]
    assert main(args) == 0
    table = pd.read_csv(out)
    assert list(table.columns) == ["patient_id", "phase", "reader", *[f"dl.small.{i:04d}" for i in range(4)]]
    expected = case_features(sitk.ReadImage(frame["image"][0]), sitk.ReadImage(frame["mask"][0]), "small",
                             DeepSettings(min_area=10, pooling="largest"), label=1)
    np.testing.assert_allclose(table.iloc[0, 3:].to_numpy(float), expected.to_numpy(), atol=1e-9)
    assert "2 computed" in capsys.readouterr().err
    assert main(args) == 0
    err = capsys.readouterr().err
    assert "2 cached" in err and "0 computed" in err
    assert list_networks()["name"].tolist() == ["small"]


def test_extract_deep_refuses_a_bad_network_with_exit_code_2(tmp_path, capsys):
    write_cases(tmp_path / "img", 1).to_csv(tmp_path / "m.csv", index=False)
    bad = tmp_path / "model.onnx"
    bad.write_bytes(b"\x00\x01 not a protobuf")
    assert main(["extract", "--manifest", str(tmp_path / "m.csv"), "--deep", str(bad), "--out",
                 str(tmp_path / "o.csv")]) == 2
    assert f"error: The file {bad} is not an ONNX model" in capsys.readouterr().err
    assert list_networks().empty and not (tmp_path / "o.csv").exists()


def test_default_names():
    assert default_name("/x/DenseNet-169.onnx") == "densenet_169"
    assert default_name("169.onnx") == "net_169"

"""Networks whose image size the ONNX graph leaves open: the size is chosen, recorded and checked."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import SimpleITK as sitk

from hccdash import paths
from hccdash.cli import main
from hccdash.deep import DeepSettings, NetworkError, case_features, get_network, list_networks, register_network
from hccdash.deep.network import inspect_network, open_input_size, run_network

from deep_helpers import numpy_features, open_size_cnn, write_cases


def _nothing_stored() -> None:
    assert list_networks().empty
    assert not any(paths.networks_dir().iterdir())


def test_the_size_chosen_is_recorded_and_used(tmp_path, cnn_file):
    path = open_size_cnn(tmp_path / "open.onnx")
    assert open_input_size(path) and open_input_size(path.read_bytes())
    assert not open_input_size(cnn_file) and not open_input_size(b"not a model")
    assert inspect_network(path, "open").input_size == (224, 224)  # none chosen
    network = register_network(path, "open", input_size=(48, 40))
    assert network.input_size == (48, 40) and get_network("open").input_size == (48, 40)
    assert list_networks()["input"].tolist() == ["3 x 48 x 40"]
    batch = np.random.default_rng(3).normal(size=(2, 3, 48, 40)).astype(np.float32)
    np.testing.assert_allclose(run_network(network, batch), numpy_features(batch), atol=1e-5)
    with pytest.raises(NetworkError, match="already registered for another network file or other settings"):
        register_network(path, "open", input_size=(64, 64))  # the size is part of what is recorded


def test_a_size_the_network_rejects_is_named_and_nothing_is_stored(tmp_path):
    path = open_size_cnn(tmp_path / "made_for_32.onnx", made_for=32)
    assert register_network(path, "ok", input_size=(32, 32)).n_features == 4
    with pytest.raises(NetworkError, match=rf"The network {path} does not run on 48 x 48 images \(its graph leaves "
                                           r"the size open\): give the input size it was made for\. onnxruntime"):
        register_network(path, "bad", input_size=(48, 48))
    assert list_networks()["name"].tolist() == ["ok"]


@pytest.mark.parametrize("size", [(4, 4), (48, 0), (3000, 3000), (48.5, 48)])
def test_a_size_out_of_range_is_named(tmp_path, size):
    with pytest.raises(NetworkError, match=r"must be two whole numbers of pixels from 8 to 2048; got "):
        register_network(open_size_cnn(tmp_path / "open.onnx"), "open", input_size=size)
    _nothing_stored()


def test_a_size_given_for_a_fixed_size_network_must_agree(cnn_file):
    with pytest.raises(NetworkError, match=r"takes 32 x 32 images; the input size given was 48 x 48"):
        register_network(cnn_file, "small", input_size=(48, 48))
    _nothing_stored()
    assert register_network(cnn_file, "small", input_size=(32, 32)).input_size == (32, 32)


def test_cli_input_size(tmp_path, cnn_file, capsys):
    frame = write_cases(tmp_path / "img", 1)
    frame.to_csv(tmp_path / "m.csv", index=False)
    out = tmp_path / "deep.csv"
    base = ["extract", "--manifest", str(tmp_path / "m.csv"), "--min-area", "10", "--jobs", "1", "--out", str(out)]
    assert main([*base, "--deep", str(open_size_cnn(tmp_path / "open.onnx")), "--input-size", "48"]) == 0
    network = get_network("open")
    assert network.input_size == (48, 48)
    expected = case_features(sitk.ReadImage(frame["image"][0]), sitk.ReadImage(frame["mask"][0]), network,
                             DeepSettings(min_area=10), label=1)
    np.testing.assert_allclose(pd.read_csv(out).iloc[0, 3:].to_numpy(float), expected.to_numpy(), atol=1e-9)
    other = case_features(sitk.ReadImage(frame["image"][0]), sitk.ReadImage(frame["mask"][0]),
                          register_network(tmp_path / "open.onnx", "open224"), DeepSettings(min_area=10), label=1)
    assert not np.allclose(other.to_numpy(), expected.to_numpy())  # the size changes the features
    capsys.readouterr()
    assert main([*base, "--deep", str(cnn_file), "--input-size", "48", "--out", str(tmp_path / "o.csv")]) == 2
    assert "takes 32 x 32 images; the input size given was 48 x 48" in capsys.readouterr().err
    assert "small" not in list_networks()["name"].tolist() and not (tmp_path / "o.csv").exists()

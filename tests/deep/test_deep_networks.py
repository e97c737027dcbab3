"""Registering networks: bad files named and nothing stored; a changed file refused."""

from __future__ import annotations

import numpy as np
import pytest

from hccdash import paths
from hccdash.deep import DeepSettings, NetworkError, case_features, get_network, list_networks, register_network
from hccdash.deep.network import run_network

from deep_helpers import numpy_features, small_cnn, synthetic_case


def _nothing_stored() -> None:
    assert list_networks().empty
    assert not any(paths.networks_dir().iterdir())


def test_a_file_that_is_not_onnx_is_named(tmp_path):
    bad = tmp_path / "notes.onnx"
    bad.write_text("this is not a network")
    with pytest.raises(NetworkError, match=r"The file .*notes.onnx is not an ONNX model"):
        register_network(bad, "notes")
    _nothing_stored()


@pytest.mark.parametrize("kind, message", [
    ("table", r"input 'image' is not an image batch: shape \(N, 3, 32\)"),
    ("two", r"has 2 inputs \(image, age\)"),
    ("four", r"input 'image' is not an image batch: shape \(N, 4, 32, 32\)"),
])
def test_a_network_whose_input_is_not_an_image_is_named(tmp_path, kind, message):
    shape = {"table": ["N", 3, 32], "two": None, "four": ["N", 4, 32, 32]}[kind]
    path = small_cnn(tmp_path / f"{kind}.onnx", input_shape=shape, extra_input=kind == "two") if kind != "table" \
        else _table_model(tmp_path / "table.onnx")
    with pytest.raises(NetworkError, match=message):
        register_network(path, "net")
    _nothing_stored()


def _table_model(path):
    import onnx
    from onnx import TensorProto, helper

    graph = helper.make_graph([helper.make_node("Relu", ["image"], ["out"])], "t",
                              [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["N", 3, 32])],
                              [helper.make_tensor_value_info("out", TensorProto.FLOAT, ["N", 3, 32])])
    onnx.save_model(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8), str(path))
    return path


def test_an_output_node_that_does_not_exist_is_named(cnn_file):
    with pytest.raises(NetworkError, match=r"has no node output named 'pool5' \(its last global pooling output is 'pool'\)"):
        register_network(cnn_file, "small", output_node="pool5")
    _nothing_stored()


def test_no_pooling_node_needs_a_named_node(tmp_path):
    path = small_cnn(tmp_path / "nopool.onnx", pooling=False)
    with pytest.raises(NetworkError, match=r"has no global pooling node: name the node .*relu"):
        register_network(path, "nopool")
    _nothing_stored()
    network = register_network(path, "nopool", output_node="relu")  # spatial output: averaged over h, w
    batch = np.random.default_rng(0).normal(size=(2, 3, 32, 32)).astype(np.float32)
    assert network.n_features == 4
    np.testing.assert_allclose(run_network(get_network("nopool"), batch), numpy_features(batch), atol=1e-5)


def test_a_named_node_gives_its_own_features(cnn_file):
    network = register_network(cnn_file, "head", output_node="logits")
    assert network.n_features == 2 and network.feature_names() == ["dl.head.0000", "dl.head.0001"]
    batch = np.random.default_rng(1).normal(size=(3, 3, 32, 32)).astype(np.float32)
    head = np.arange(8, dtype=np.float64).reshape(2, 4) / 10
    np.testing.assert_allclose(run_network(network, batch), numpy_features(batch) @ head.T, atol=1e-5)


def test_a_tampered_network_file_is_refused(small):
    kept = paths.networks_dir() / f"{small.sha256}.onnx"
    data = bytearray(kept.read_bytes())
    data[-5] ^= 0xFF
    kept.write_bytes(bytes(data))
    with pytest.raises(NetworkError, match=r"has changed since 'small' was registered .*refuses it"):
        get_network("small")
    image, mask = synthetic_case(0)
    with pytest.raises(NetworkError, match="has changed since 'small' was registered"):
        case_features(image, mask, "small", DeepSettings(min_area=5))


def test_a_different_file_under_a_taken_name_is_refused(small, tmp_path):
    other = small_cnn(tmp_path / "other.onnx", batch=1)  # batch fixed at 1: another file
    with pytest.raises(NetworkError, match="already registered for another network file"):
        register_network(other, "small")
    assert list_networks()["name"].tolist() == ["small"]
    assert register_network(small_cnn(tmp_path / "again.onnx"), "small") == small  # the same bytes: no change
    fixed = register_network(other, "fixed")
    assert fixed.fixed_batch and fixed.sha256 != small.sha256


def test_a_fixed_batch_network_runs_slice_by_slice(tmp_path):
    network = register_network(small_cnn(tmp_path / "one.onnx", batch=1), "one")
    batch = np.random.default_rng(2).normal(size=(5, 3, 32, 32)).astype(np.float32)
    np.testing.assert_allclose(run_network(network, batch), numpy_features(batch), atol=1e-5)


@pytest.mark.parametrize("name", ["DenseNet", "1net", "dl.net", "", "a" * 33])
def test_bad_names_are_refused(cnn_file, name):
    with pytest.raises(NetworkError, match="A network name is"):
        register_network(cnn_file, name)
    _nothing_stored()


def test_the_demonstration_network_registers_once(tmp_path):
    from hccdash.deep.demo import register_demo_network, write_demo_network

    demo = register_demo_network()
    assert (demo.name, demo.n_features, demo.input_size, demo.output_node) == ("demo", 8, (64, 64), "pool")
    assert register_demo_network() == demo  # the same bytes again: nothing new
    assert write_demo_network(tmp_path / "d.onnx").read_bytes() == (paths.networks_dir() / f"{demo.sha256}.onnx").read_bytes()
    image, mask = synthetic_case(0)
    features = case_features(image, mask, "demo", DeepSettings(min_area=10))
    assert features.index[-1] == "dl.demo.0007" and features.std() > 0

"""A small demonstration CNN as an ONNX file, to try deep features without a network of one's own.

Fixed, untrained weights (its features mean nothing clinically): a 3 x 3 convolution from 3 to 8
channels (padding 1), ReLU, a global average pool (``pool``, the feature node: 8 features) and a
2-class head (``logits``); input ``(N, 3, 64, 64)``. Written with ``onnx.helper``, offline.

    python -m hccdash.deep.demo OUT.onnx
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from hccdash.deep.network import Network
from hccdash.deep.registered import register_network
from hccdash.store import Store

DEMO_NAME = "demo"
DEMO_SIZE = 64
DEMO_CHANNELS = 8


def write_demo_network(path: str | Path) -> Path:
    """Write the demonstration CNN to ``path``; returns it."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(2026)
    weights = rng.normal(0, 0.4, (DEMO_CHANNELS, 3, 3, 3)).astype(np.float32)
    bias = rng.normal(0, 0.1, DEMO_CHANNELS).astype(np.float32)
    head = rng.normal(0, 0.1, (2, DEMO_CHANNELS)).astype(np.float32)
    nodes = [helper.make_node("Conv", ["image", "W", "B"], ["conv"], pads=[1, 1, 1, 1], kernel_shape=[3, 3]),
             helper.make_node("Relu", ["conv"], ["relu"]),
             helper.make_node("GlobalAveragePool", ["relu"], ["pool"]),
             helper.make_node("Flatten", ["pool"], ["flat"], axis=1),
             helper.make_node("Gemm", ["flat", "H"], ["logits"], transB=1)]
    graph = helper.make_graph(
        nodes, "hccdash_demo",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["N", 3, DEMO_SIZE, DEMO_SIZE])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", 2])],
        [numpy_helper.from_array(weights, "W"), numpy_helper.from_array(bias, "B"), numpy_helper.from_array(head, "H")])
    path = Path(path)
    onnx.save_model(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8), str(path))
    return path


def register_demo_network(store: Store | None = None) -> Network:
    """The demonstration CNN registered as ``demo`` (found again if it already is)."""
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        return register_network(write_demo_network(Path(folder) / "demo.onnx"), DEMO_NAME,
                                source="hccdash demonstration network (untrained)", store=store)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__.strip().splitlines()[-1].strip())
    print(write_demo_network(sys.argv[1]))

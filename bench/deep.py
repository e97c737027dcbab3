"""Benchmark: seconds per case of deep features, with a small CNN and a DenseNet-169-sized one.

    python bench/deep.py [--cases N] [--densenet-cases M] [--slices S]

Both networks are written with ``onnx.helper`` with random weights (sizing only: their features
mean nothing): hccdash's demonstration CNN (:mod:`hccdash.deep.demo`: 3x3 convolution 3 -> 8
channels, ReLU, global average pool; 64 x 64 input) and DenseNet-169's graph (torchvision's layout: 7 x 7 stem, dense blocks
of 6, 12, 32 and 32 layers, growth 32, bottleneck 128, transitions halving the channels,
BatchNorm-ReLU-Conv, final global average pool of 1664 channels, 1000-class head; 224 x 224
input, about 14 million weights). Cases are synthetic clinical-size CT (512 x 512, ``--slices``
slices, a 3-6 cm tumour on about half of them). Each case runs :func:`hccdash.deep.case_features`
in this process (onnxruntime on one thread, as an extraction worker runs it): reading excluded,
cropping, normalising, resizing and the forward passes of every ROI slice included (mean
pooling). Prints the slices per case, the seconds (wall-clock and CPU) per case of each network,
the time per slice and, as its last line, ``small_s_per_case=... densenet_s_per_case=...`` followed
by the CPU seconds (``small_cpu_s_per_case=... densenet_cpu_s_per_case=...``).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import SimpleITK as sitk

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hccdash.deep import DeepSettings, case_features, inspect_network  # noqa: E402
from hccdash.deep.demo import write_demo_network  # noqa: E402
from hccdash.deep.slices import lps_arrays, slice_crops  # noqa: E402

DENSE_BLOCKS = (6, 12, 32, 32)
GROWTH, BOTTLENECK, STEM = 32, 128, 64


class GraphBuilder:
    """Nodes and random-weight initialisers of an ONNX graph, named in order."""

    def __init__(self, seed: int = 0):
        self.nodes, self.weights, self.rng, self.count = [], [], np.random.default_rng(seed), 0

    def name(self, kind: str) -> str:
        self.count += 1
        return f"{kind}_{self.count}"

    def weight(self, shape: tuple[int, ...], scale: float = 1.0) -> str:
        from onnx import numpy_helper

        name = self.name("w")
        self.weights.append(numpy_helper.from_array(
            (self.rng.normal(0, scale, shape)).astype(np.float32), name))
        return name

    def node(self, op: str, inputs: list[str], **attrs) -> str:
        from onnx import helper

        out = self.name(op.lower())
        self.nodes.append(helper.make_node(op, inputs, [out], **attrs))
        return out

    def conv(self, x: str, c_in: int, c_out: int, k: int, stride: int = 1) -> str:
        w = self.weight((c_out, c_in, k, k), np.sqrt(2.0 / (c_in * k * k)))
        return self.node("Conv", [x, w], kernel_shape=[k, k], strides=[stride, stride], pads=[k // 2] * 4)

    def bn_relu(self, x: str, c: int) -> str:
        scale, bias = self.weight((c,), 0.1), self.weight((c,), 0.1)
        mean, var = self.weight((c,), 0.1), self.name("var")
        from onnx import numpy_helper

        self.weights.append(numpy_helper.from_array(np.ones(c, np.float32), var))
        return self.node("Relu", [self.node("BatchNormalization", [x, scale, bias, mean, var])])


def densenet169(path: Path) -> Path:
    """DenseNet-169's graph with random weights, written to ``path`` (see the module docstring)."""
    import onnx
    from onnx import TensorProto, helper

    g = GraphBuilder()
    x = g.conv("image", 3, STEM, 7, stride=2)
    x = g.node("MaxPool", [g.bn_relu(x, STEM)], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1])
    channels = STEM
    for block, layers in enumerate(DENSE_BLOCKS):
        for _ in range(layers):
            y = g.conv(g.bn_relu(x, channels), channels, BOTTLENECK, 1)
            y = g.conv(g.bn_relu(y, BOTTLENECK), BOTTLENECK, GROWTH, 3)
            x = g.node("Concat", [x, y], axis=1)
            channels += GROWTH
        if block < len(DENSE_BLOCKS) - 1:
            x = g.conv(g.bn_relu(x, channels), channels, channels // 2, 1)
            x = g.node("AveragePool", [x], kernel_shape=[2, 2], strides=[2, 2])
            channels //= 2
    pooled = g.node("GlobalAveragePool", [g.bn_relu(x, channels)])
    logits = g.node("Gemm", [g.node("Flatten", [pooled], axis=1), g.weight((1000, channels), 0.01)], transB=1)
    graph = helper.make_graph(g.nodes, "densenet169_random",
                              [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["N", 3, 224, 224])],
                              [helper.make_tensor_value_info(logits, TensorProto.FLOAT, ["N", 1000])], g.weights)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)
    onnx.save_model(model, str(path))
    return path


def clinical_case(seed: int, slices: int) -> tuple[sitk.Image, sitk.Image]:
    """A 512 x 512 x ``slices`` CT (0.7 mm, 5 mm slices) with a 3-6 cm spherical tumour (label 1)."""
    rng = np.random.default_rng(seed)
    z, y, x = np.ogrid[:slices, :512, :512]
    radius = rng.uniform(15, 30)  # mm
    centre = (slices / 2, rng.uniform(200, 312), rng.uniform(200, 312))
    roi = ((z - centre[0]) * 5.0) ** 2 + ((y - centre[1]) * 0.7) ** 2 + ((x - centre[2]) * 0.7) ** 2 < radius ** 2
    image = rng.normal(60, 20, (slices, 512, 512)).astype(np.int16)
    image[roi] += 40
    img = sitk.GetImageFromArray(image)
    img.SetSpacing((0.7, 0.7, 5.0))
    mask = sitk.GetImageFromArray(roi.astype(np.uint8))
    mask.CopyInformation(img)
    return img, mask


def seconds_per_case(network, cases, settings: DeepSettings) -> tuple[float, float]:
    """Mean wall-clock and CPU seconds of :func:`case_features` over ``cases`` (one warm-up call first: the
    session). CPU seconds do not grow with the machine's load; wall-clock seconds do."""
    case_features(*cases[0], network, settings)
    start, cpu = time.perf_counter(), time.process_time()
    for image, mask in cases:
        case_features(image, mask, network, settings)
    return (time.perf_counter() - start) / len(cases), (time.process_time() - cpu) / len(cases)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=6, help="cases timed with the small network")
    parser.add_argument("--densenet-cases", type=int, default=3, help="cases timed with the DenseNet-169-sized one")
    parser.add_argument("--slices", type=int, default=40, help="slices per synthetic CT")
    args = parser.parse_args()
    settings = DeepSettings()
    cases = [clinical_case(seed, args.slices) for seed in range(max(args.cases, args.densenet_cases))]
    per_case = [len(slice_crops(lps_arrays(image, mask, None)[1], settings)) for image, mask in cases]
    print(f"load average {os.getloadavg()[0]:.1f}; ROI slices per case {per_case}", flush=True)
    with tempfile.TemporaryDirectory() as folder:
        small = inspect_network(write_demo_network(Path(folder) / "small.onnx"), "small")
        start = time.perf_counter()
        dense = inspect_network(densenet169(Path(folder) / "densenet169.onnx"), "densenet169")
        print(f"DenseNet-169-sized graph: {dense.n_features} features, "
              f"{(Path(folder) / 'densenet169.onnx').stat().st_size / 1e6:.0f} MB, built and checked in "
              f"{time.perf_counter() - start:.1f} s", flush=True)
        small_s, small_cpu = seconds_per_case(small, cases[:args.cases], settings)
        slices_small = np.mean(per_case[:args.cases])
        print(f"small network: {small_s:.3f} s per case, {small_cpu:.3f} CPU s "
              f"({small_s / slices_small * 1000:.1f} ms per slice)", flush=True)
        dense_s, dense_cpu = seconds_per_case(dense, cases[:args.densenet_cases], settings)
        slices_dense = np.mean(per_case[:args.densenet_cases])
        print(f"DenseNet-169-sized: {dense_s:.2f} s per case, {dense_cpu:.2f} CPU s "
              f"({dense_s / slices_dense * 1000:.0f} ms per slice)", flush=True)
    print(f"load average {os.getloadavg()[0]:.1f}")
    print(f"small_s_per_case={small_s:.4f} densenet_s_per_case={dense_s:.3f} "
          f"small_cpu_s_per_case={small_cpu:.4f} densenet_cpu_s_per_case={dense_cpu:.3f}")


if __name__ == "__main__":
    main()

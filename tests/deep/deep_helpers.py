"""A small CNN written as ONNX with fixed weights, its numpy twin, and small synthetic cases."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import SimpleITK as sitk

SIZE = 32  # the small network's input H = W
CHANNELS_OUT = 4
WEIGHTS = np.random.default_rng(7).normal(0, 0.5, (CHANNELS_OUT, 3, 3, 3)).astype(np.float32)
BIAS = np.array([0.1, -0.2, 0.05, 0.0], np.float32)


def small_cnn(path: Path, *, batch: int | str = "N", input_shape: list | None = None, extra_input: bool = False,
              pooling: bool = True) -> Path:
    """Conv 3x3 (3 -> 4 channels, pad 1) + ReLU + global average pool ('pool') + a 2-class Gemm head
    ('logits'), written to ``path``."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    shape = input_shape or [batch, 3, SIZE, SIZE]
    inputs = [helper.make_tensor_value_info("image", TensorProto.FLOAT, shape)]
    if extra_input:
        inputs.append(helper.make_tensor_value_info("age", TensorProto.FLOAT, [batch, 1]))
    head = np.arange(2 * CHANNELS_OUT, dtype=np.float32).reshape(2, CHANNELS_OUT) / 10
    nodes = [
        helper.make_node("Conv", ["image", "W", "B"], ["conv"], pads=[1, 1, 1, 1], kernel_shape=[3, 3]),
        helper.make_node("Relu", ["conv"], ["relu"]),
    ]
    if pooling:
        nodes += [helper.make_node("GlobalAveragePool", ["relu"], ["pool"]),
                  helper.make_node("Flatten", ["pool"], ["flat"], axis=1),
                  helper.make_node("Gemm", ["flat", "H"], ["logits"], transB=1)]
        out = helper.make_tensor_value_info("logits", TensorProto.FLOAT, [batch, 2])
    else:
        out = helper.make_tensor_value_info("relu", TensorProto.FLOAT, [batch, CHANNELS_OUT, SIZE, SIZE])
    graph = helper.make_graph(nodes, "small", inputs, [out], initializer=[
        numpy_helper.from_array(WEIGHTS, "W"), numpy_helper.from_array(BIAS, "B"), numpy_helper.from_array(head, "H")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save_model(model, str(path))
    return path


def numpy_features(batch: np.ndarray) -> np.ndarray:
    """The small network's 'pool' output (n, 4) computed with numpy, in float64."""
    x = np.pad(batch.astype(np.float64), ((0, 0), (0, 0), (1, 1), (1, 1)))
    n, _, h, w = batch.shape
    out = np.zeros((n, CHANNELS_OUT, h, w))
    for dy in range(3):
        for dx in range(3):
            window = x[:, :, dy:dy + h, dx:dx + w]
            out += np.einsum("nchw,oc->nohw", window, WEIGHTS[:, :, dy, dx].astype(np.float64))
    out += BIAS[None, :, None, None]
    return np.maximum(out, 0).mean(axis=(2, 3))


def synthetic_case(seed: int = 0, shape=(6, 40, 48), radius: float = 9.0, spacing=(0.8, 0.7, 2.0)
                   ) -> tuple[sitk.Image, sitk.Image]:
    """A CT-like int16 image (z, y, x ``shape``) and a label-1 mask: an ellipsoid-ish blob, ROI shrinking
    towards the end slices."""
    rng = np.random.default_rng(seed)
    z, y, x = np.indices(shape)
    cy, cx = shape[1] / 2 + seed, shape[2] / 2 - seed
    image = (rng.normal(40, 60, shape) + 80 * np.sin(x / 5.0) + 3 * seed).astype(np.int16)
    depth = 1.0 - np.abs(z - (shape[0] - 1) / 2) / shape[0]
    roi = ((y - cy) ** 2 + ((x - cx) * 0.8) ** 2) < (radius * depth) ** 2
    image[roi] += 60
    img = sitk.GetImageFromArray(image)
    img.SetSpacing(spacing)
    mask = sitk.GetImageFromArray(roi.astype(np.uint8))
    mask.CopyInformation(img)
    return img, mask


def write_cases(folder: Path, n: int) -> pd.DataFrame:
    """``n`` synthetic cases written as NIfTI, as manifest-like rows (patient_id, phase, reader, image, mask)."""
    folder.mkdir(parents=True, exist_ok=True)
    rows = []
    for i in range(n):
        image, mask = synthetic_case(i)
        image_path, mask_path = folder / f"P{i:03d}.nii.gz", folder / f"P{i:03d}_mask.nii.gz"
        sitk.WriteImage(image, str(image_path))
        sitk.WriteImage(mask, str(mask_path))
        rows.append({"patient_id": f"P{i:03d}", "phase": "portal", "reader": "1", "image": str(image_path),
                     "mask": str(mask_path)})
    return pd.DataFrame(rows)


def open_size_cnn(path: Path, made_for: int | None = None) -> Path:
    """The small CNN with its image size left open in the graph (``(N, 3, H, W)``); with ``made_for``, a
    Reshape to ``(N, 4, made_for, made_for)`` before the pooling makes it run on that size only."""
    if made_for is None:
        return small_cnn(path, input_shape=["N", 3, "H", "W"])
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    nodes = [helper.make_node("Conv", ["image", "W", "B"], ["conv"], pads=[1, 1, 1, 1], kernel_shape=[3, 3]),
             helper.make_node("Relu", ["conv"], ["relu"]),
             helper.make_node("Reshape", ["relu", "S"], ["fixed"]),
             helper.make_node("GlobalAveragePool", ["fixed"], ["pool"])]
    graph = helper.make_graph(
        nodes, "made_for", [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["N", 3, "H", "W"])],
        [helper.make_tensor_value_info("pool", TensorProto.FLOAT, ["N", CHANNELS_OUT, 1, 1])],
        initializer=[numpy_helper.from_array(WEIGHTS, "W"), numpy_helper.from_array(BIAS, "B"),
                     numpy_helper.from_array(np.array([0, CHANNELS_OUT, made_for, made_for], np.int64), "S")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save_model(model, str(path))
    return path

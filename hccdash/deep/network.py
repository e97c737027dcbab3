"""A CNN as an ONNX file: what it takes, which node gives the features, and running it on CPU.

:func:`inspect_network` reads a file with ``onnx`` (never over the network: no external data,
no hub) and returns its :class:`Network` facts, or raises :class:`NetworkError` saying what is
wrong: not an ONNX model; no single image input ``(N, C, H, W)`` with ``C`` 1 or 3; an output
node that does not exist. ``H`` and ``W`` are the graph's when it fixes them (a different
``input_size`` is refused); when it leaves them open (:func:`open_input_size`) they are the
``input_size`` given (``MIN_INPUT`` to ``MAX_INPUT`` pixels; 224 when none is given), recorded
with the network, and a size the network does not run on is refused by name. The feature node is by
default the output of the graph's last global pooling node (``GlobalAveragePool`` /
``GlobalMaxPool``, e.g. DenseNet's final pooling before the classifier); any node output can be
named instead. A node output of shape ``(N, C, h, w)`` is averaged over ``h`` and ``w``, so each
of the ``C`` channels gives one feature; ``(N, C)`` is used as is.

:func:`run_network` runs ``onnxruntime`` on CPU, one thread (the extraction's workers already
use every core). The file's SHA-256 is checked before a session is made: a file changed since
it was registered is refused (:class:`NetworkError`).
"""

from __future__ import annotations

import dataclasses
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from hccdash.digest import sha256_file
from hccdash.extraction.case import CaseError

POOLING_OPS = ("GlobalAveragePool", "GlobalMaxPool")
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_SD = (0.229, 0.224, 0.225)
DEFAULT_INPUT = 224  # H and W when the graph leaves them open and none is given
MIN_INPUT, MAX_INPUT = 8, 2048  # an input size given for a graph that leaves it open
NAMED_NODES = 8  # node outputs listed when a named one is not found


class NetworkError(CaseError):
    """A network file that cannot be used, explained in plain words naming the file (a ``ValueError``;
    a :class:`~hccdash.extraction.case.CaseError`, so an extraction records it as the case's failure)."""


@dataclass(frozen=True)
class Network:
    """What hccdash records of a registered CNN (all but ``path`` enter a deep feature set's hash)."""

    name: str
    sha256: str
    input_name: str
    channels: int
    input_size: tuple[int, int]  # H, W
    mean: tuple[float, ...]
    sd: tuple[float, ...]
    output_node: str
    n_features: int
    fixed_batch: bool  # the graph's batch dimension is 1: one slice per forward pass
    path: str = ""  # the file hccdash keeps (HCCDASH_HOME/networks/<sha256>.onnx)

    def facts(self) -> dict[str, Any]:
        """JSON-ready facts without the path."""
        data = dataclasses.asdict(self)
        data.pop("path")
        return {k: list(v) if isinstance(v, tuple) else v for k, v in data.items()}

    @classmethod
    def from_facts(cls, facts: dict[str, Any], path: str | Path = "") -> "Network":
        """Inverse of :meth:`facts`."""
        data = dict(facts)
        for name in ("input_size", "mean", "sd"):
            data[name] = tuple(data[name])
        return cls(**data, path=str(path))

    def feature_names(self) -> list[str]:
        """``dl.<name>.<NNNN>``: one per feature, channel numbers from 0, at least four digits."""
        width = max(4, len(str(self.n_features - 1)))
        return [f"dl.{self.name}.{i:0{width}d}" for i in range(self.n_features)]


def load_model(path: str | Path) -> Any:
    """The ONNX model in ``path``; :class:`NetworkError` when it is not one."""
    import onnx

    path = Path(path)
    if not path.is_file():
        raise NetworkError(f"The network file {path} does not exist or is not a file")
    try:
        model = onnx.load_model(str(path), load_external_data=False)
        onnx.checker.check_model(model)
    except Exception as exc:  # protobuf DecodeError, onnx ValidationError, ...
        detail = " ".join(str(exc).split())[:200]
        raise NetworkError(f"The file {path} is not an ONNX model that onnx can read ({type(exc).__name__}: "
                           f"{detail})") from None
    if not len(model.graph.node):
        raise NetworkError(f"The file {path} is not an ONNX model: its graph has no node")
    return model


def _dims(value_info: Any) -> list[int | str | None]:
    tensor = value_info.type.tensor_type
    if not tensor.HasField("shape"):
        return []
    return [d.dim_value if d.HasField("dim_value") else (d.dim_param or None) for d in tensor.shape.dim]


def image_input(model: Any, path: str | Path, input_size: tuple[int, int] | None = None
                ) -> tuple[str, int, tuple[int, int], bool]:
    """(input name, channels, (H, W), batch fixed at 1) of the model's one image input."""
    initialisers = {t.name for t in model.graph.initializer}
    inputs = [i for i in model.graph.input if i.name not in initialisers]
    if len(inputs) != 1:
        raise NetworkError(f"The network {path} has {len(inputs)} inputs ({', '.join(i.name for i in inputs)}); "
                           "hccdash needs one image input (N, C, H, W)")
    entry = inputs[0]
    dims = _dims(entry)
    shown = "(" + ", ".join("?" if d is None else str(d) for d in dims) + ")"
    if entry.type.tensor_type.elem_type != 1 or len(dims) != 4 or dims[1] not in (1, 3):
        raise NetworkError(
            f"The network {path}'s input '{entry.name}' is not an image batch: shape {shown}, element type "
            f"{entry.type.tensor_type.elem_type} (hccdash needs float32 (N, C, H, W) with C 1 or 3)")
    if input_size is not None:
        check_input_size(input_size, path)
    size = []
    for axis, given in zip((2, 3), input_size or (None, None)):
        fixed = dims[axis] if isinstance(dims[axis], int) and dims[axis] > 0 else None
        if fixed is not None and given is not None and int(given) != fixed:
            raise NetworkError(f"The network {path} takes {dims[2]} x {dims[3]} images; the input size given was "
                               f"{input_size[0]} x {input_size[1]}")
        size.append(fixed or int(given or DEFAULT_INPUT))
    return entry.name, int(dims[1]), (size[0], size[1]), dims[0] == 1


def check_input_size(input_size: tuple[int, int], path: str | Path) -> None:
    """NetworkError unless ``input_size`` is two whole numbers from ``MIN_INPUT`` to ``MAX_INPUT``."""
    if len(input_size) != 2 or not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool)
                                       and MIN_INPUT <= v <= MAX_INPUT for v in input_size):
        raise NetworkError(f"The input size of the network {path} must be two whole numbers of pixels from "
                           f"{MIN_INPUT} to {MAX_INPUT}; got {list(input_size)}")


def open_input_size(source: str | Path | bytes) -> bool:
    """Whether the ONNX model (a file, or its bytes) leaves its image input's H or W open, so that an
    input size is to be chosen; False for anything that is not such a model (registering it says why)."""
    import onnx

    try:
        if isinstance(source, bytes):
            model = onnx.load_model_from_string(source)
        else:
            model = onnx.load_model(str(source), load_external_data=False)
    except Exception:  # not a readable model: register_network names the problem
        return False
    return _open_size(model)


def _open_size(model: Any) -> bool:
    initialisers = {t.name for t in model.graph.initializer}
    inputs = [i for i in model.graph.input if i.name not in initialisers]
    dims = _dims(inputs[0]) if len(inputs) == 1 else []
    return len(dims) == 4 and not all(isinstance(d, int) and d > 0 for d in dims[2:])


def pooling_output(model: Any) -> str | None:
    """The output of the graph's last global pooling node, or None."""
    pooled = [node.output[0] for node in model.graph.node if node.op_type in POOLING_OPS]
    return pooled[-1] if pooled else None


def node_outputs(model: Any) -> list[str]:
    """Every node output name, in graph order."""
    return [name for node in model.graph.node for name in node.output if name]


def inspect_network(
    path: str | Path,
    name: str,
    *,
    output_node: str | None = None,
    mean: tuple[float, ...] | None = None,
    sd: tuple[float, ...] | None = None,
    input_size: tuple[int, int] | None = None,
) -> Network:
    """The :class:`Network` facts of the ONNX file ``path`` (a dry run counts its features);
    :class:`NetworkError` naming what is wrong. ``mean`` / ``sd`` default to ImageNet's (one
    value per input channel)."""
    path = Path(path)
    model = load_model(path)
    input_name, channels, size, fixed_batch = image_input(model, path, input_size)
    outputs = node_outputs(model)
    if output_node is None:
        output_node = pooling_output(model)
        if output_node is None:
            raise NetworkError(f"The network {path} has no global pooling node: name the node whose output gives "
                               f"the features (its last node outputs: {', '.join(outputs[-NAMED_NODES:])})")
    elif output_node not in outputs:
        pooled = pooling_output(model)
        hint = f"its last global pooling output is '{pooled}'" if pooled else \
            f"its last node outputs: {', '.join(outputs[-NAMED_NODES:])}"
        raise NetworkError(f"The network {path} has no node output named '{output_node}' ({hint})")
    mean = _per_channel(mean or (IMAGENET_MEAN if channels == 3 else IMAGENET_MEAN[:1]), channels, "mean", path)
    sd = _per_channel(sd or (IMAGENET_SD if channels == 3 else IMAGENET_SD[:1]), channels, "sd", path)
    if any(v <= 0 for v in sd):
        raise NetworkError(f"The normalisation sd {list(sd)} of the network {path} must be above 0")
    network = Network(name, sha256_file(path), input_name, channels, size, mean, sd, output_node, 0, fixed_batch,
                      str(path))
    try:
        dry = run_network(network, np.zeros((1, channels, *size), np.float32), check_hash=False)
    except NetworkError as exc:
        if not _open_size(model):
            raise
        raise NetworkError(f"The network {path} does not run on {size[0]} x {size[1]} images (its graph leaves the "
                           f"size open): give the input size it was made for. {exc}") from None
    return dataclasses.replace(network, n_features=int(dry.shape[1]))


def _per_channel(values: tuple[float, ...], channels: int, what: str, path: Path) -> tuple[float, ...]:
    values = tuple(float(v) for v in values)
    if len(values) != channels or not all(np.isfinite(values)):
        raise NetworkError(f"The network {path} takes {channels} channel(s): its normalisation {what} needs "
                           f"{channels} finite number(s), got {list(values)}")
    return values


def changed_file(network: Network, found: str) -> NetworkError:
    """The error for ``network``'s file found with SHA-256 ``found`` instead of the registered one."""
    return NetworkError(
        f"The network file {network.path} has changed since '{network.name}' was registered (SHA-256 now "
        f"{found[:12]}…, registered {network.sha256[:12]}…): hccdash refuses it. Register the file you mean to use "
        "under a new name.")


_sessions: dict[tuple[str, str, str], Any] = {}
_sessions_lock = threading.Lock()


def session(network: Network, check_hash: bool = True) -> Any:
    """This process's onnxruntime session of ``network`` with its feature node as an output (made once;
    the file's SHA-256 checked against the registered one when made)."""
    key = (network.path, network.sha256, network.output_node)
    with _sessions_lock:
        if key not in _sessions:
            _sessions[key] = _make_session(network, check_hash)
        return _sessions[key]


def _make_session(network: Network, check_hash: bool) -> Any:
    import hashlib

    import onnx
    import onnxruntime as ort

    try:
        data = Path(network.path).read_bytes()
    except OSError as exc:
        raise NetworkError(f"The network file {network.path} of '{network.name}' cannot be read: {exc}") from None
    if check_hash and (found := hashlib.sha256(data).hexdigest()) != network.sha256:
        raise changed_file(network, found)
    model = onnx.load_model_from_string(data)
    if network.output_node not in {o.name for o in model.graph.output}:
        model.graph.output.append(onnx.helper.make_empty_tensor_value_info(network.output_node))
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    try:
        return ort.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])
    except Exception as exc:
        raise NetworkError(f"onnxruntime cannot run the network {network.path}: "
                           f"{' '.join(str(exc).split())[:300]}") from None


def run_network(network: Network, batch: np.ndarray, check_hash: bool = True, batch_size: int = 16) -> np.ndarray:
    """Features (n, n_features) of a float32 batch (n, C, H, W): the feature node's output, averaged
    over any spatial axes; run ``batch_size`` images at a time (one when the graph's batch is fixed)."""
    runner = session(network, check_hash)
    step = 1 if network.fixed_batch else max(1, int(batch_size))
    parts = []
    for start in range(0, len(batch), step):
        chunk = np.ascontiguousarray(batch[start:start + step], dtype=np.float32)
        try:
            out = runner.run([network.output_node], {network.input_name: chunk})[0]
        except Exception as exc:
            raise NetworkError(f"onnxruntime failed running the network '{network.name}' ({network.path}): "
                               f"{' '.join(str(exc).split())[:300]}") from None
        out = np.asarray(out, dtype=np.float64)
        if out.ndim < 2 or out.shape[0] != len(chunk):
            raise NetworkError(f"The node '{network.output_node}' of the network {network.path} gives shape "
                               f"{list(out.shape)}, not (N, C[, h, w]): choose another output node")
        parts.append(out.reshape(out.shape[0], out.shape[1], -1).mean(axis=2))
    return np.concatenate(parts, axis=0)

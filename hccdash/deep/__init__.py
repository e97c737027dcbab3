"""Deep-learning features: a CNN the user brings as an ONNX file, run on the ROI slice by slice.

The network is registered once (:func:`register_network`: SHA-256, input, normalisation, feature
node; the file kept under ``HCCDASH_HOME/networks``) and run with onnxruntime on CPU, never
fetched over the network. A case's ROI slices are cropped, normalised and resized
(:mod:`hccdash.deep.slices`), their features pooled per case (:mod:`hccdash.deep.features`) and
stored like radiomics features, under the names ``dl.<network>.<NNNN>``, by the same engine,
cache, jobs and CLI (a :class:`DeepSpec` takes an ExtractionSpec's place). Occlusion-sensitivity
maps (:mod:`hccdash.deep.occlusion`) stand in for Grad-CAM. Fine-tuning is out of scope.
"""

from hccdash.deep.features import case_features
from hccdash.deep.network import Network, NetworkError, inspect_network
from hccdash.deep.registered import get_network, list_networks, register_network
from hccdash.deep.settings import DeepSettings
from hccdash.deep.spec import DeepSpec

__all__ = ["DeepSettings", "DeepSpec", "Network", "NetworkError", "case_features", "get_network", "inspect_network",
           "list_networks", "register_network"]

"""A deep feature set's spec: the network, the settings and the runtime, with its settings hash.

A :class:`DeepSpec` goes where an :class:`~hccdash.extraction.params.ExtractionSpec` goes in the
extraction engine (:func:`hccdash.extraction.engine.run_extraction`, the ``extraction`` job, the
per-case files, the ``cases`` / ``features`` tables): it is picklable, has ``settings_hash`` and
``to_dict``, and brings its own ``compute`` (:func:`hccdash.deep.features.file_features`). Its
hash covers the network's facts (file SHA-256, input, normalisation, output node), the settings
that change values (:meth:`DeepSettings.hashed`) and the onnxruntime release, so case keys
(image, mask, label, settings hash, library versions) change with any of them; the kept file's
path does not enter it. Stored settings carry ``"kind": "deep"``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import Any

from hccdash.deep.features import file_features
from hccdash.deep.network import Network
from hccdash.deep.settings import DeepSettings
from hccdash.extraction.params import settings_hash

KIND = "deep"


@cache
def runtime_version() -> str:
    """The onnxruntime release (it enters every deep settings hash)."""
    import onnxruntime

    return f"onnxruntime={onnxruntime.__version__}"


@dataclass(frozen=True)
class DeepSpec:
    """Network + deep settings + runtime: what a deep feature set's hash covers."""

    network: Network
    settings: DeepSettings = field(default_factory=DeepSettings)
    runtime: str = field(default_factory=runtime_version)

    compute = staticmethod(file_features)

    def hashed(self) -> dict[str, Any]:
        """What the settings hash covers."""
        return {"kind": KIND, "network": self.network.facts(), "settings": self.settings.hashed(),
                "runtime": self.runtime}

    @property
    def settings_hash(self) -> str:
        """SHA-256 of the canonical JSON of :meth:`hashed`."""
        return settings_hash(self.hashed())

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (stored in ``extraction_settings`` and job specs)."""
        return {**self.hashed(), "settings": self.settings.to_dict(), "path": self.network.path}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "DeepSpec":
        """Inverse of :meth:`to_dict`."""
        if data.get("kind") != KIND:
            raise ValueError(f"Not a deep feature spec (kind {data.get('kind')!r})")
        return cls(Network.from_facts(data["network"], data.get("path", "")), DeepSettings.from_dict(data["settings"]),
                   str(data["runtime"]))

    @property
    def title(self) -> str:
        """E.g. ``deep: densenet169 (1664 features, mean of slices, settings 1a2b3c4d)``."""
        pooling = "mean of slices" if self.settings.pooling == "mean" else "largest slice"
        return (f"deep: {self.network.name} ({self.network.n_features} features, {pooling}, "
                f"settings {self.settings_hash[:8]})")


def is_deep(data: dict[str, Any] | None) -> bool:
    """Whether stored spec ``data`` is a deep feature spec."""
    return isinstance(data, dict) and data.get("kind") == KIND


def spec_from_dict(data: dict[str, Any]) -> Any:
    """A stored spec as its kind: :class:`DeepSpec`, or an :class:`~hccdash.extraction.params.ExtractionSpec`."""
    from hccdash.extraction.params import ExtractionSpec

    return DeepSpec.from_dict(data) if is_deep(data) else ExtractionSpec.from_dict(data)

"""Deep-feature settings: one source of defaults for cropping, intensity and pooling.

What enters a deep feature set's hash beside the network (see :class:`hccdash.deep.spec.DeepSpec`).
Slices are the axial slices of the image turned to LPS (as the Case viewer shows them); sizes are
in pixels of the image grid.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

MODALITIES = ("CT", "MR")
POOLINGS = ("mean", "largest")


@dataclass(frozen=True)
class DeepSettings:
    """How a case becomes network input and how slice features become case features.

    - ``margin``: pixels added on every side of each slice's ROI bounding box (clipped to the image);
    - ``min_area``: slices whose ROI has fewer pixels are skipped;
    - ``modality``: ``CT`` maps the window ``ct_window`` (width, level; HU) onto 0..1 (clipped),
      ``MR`` the case's ``mr_percentiles`` (of the voxels of all its crops together) onto 0..1;
      then the network's own mean / sd per channel;
    - ``pooling``: ``mean`` of the slice features, or those of the ``largest`` ROI slice (the first
      if several tie);
    - ``batch_size``: slices per forward pass (speed only, not in the hash);
    - occlusion maps: a square patch of ``occlusion_patch`` network-input pixels, moved by
      ``occlusion_stride``, set to 0 (the network mean after normalisation).
    """

    margin: int = 5
    min_area: int = 20
    modality: str = "CT"
    ct_window: tuple[float, float] = (400.0, 40.0)
    mr_percentiles: tuple[float, float] = (1.0, 99.0)
    pooling: str = "mean"
    batch_size: int = 16
    occlusion_patch: int = 32
    occlusion_stride: int = 16

    def __post_init__(self) -> None:
        def bad(name: str, value: Any, allowed: str) -> ValueError:
            return ValueError(f"Deep-feature setting {name} = {value!r}: {allowed}")

        for name in ("margin", "min_area"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise bad(name, value, "a whole number of pixels, 0 or more")
        for name in ("batch_size", "occlusion_patch", "occlusion_stride"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise bad(name, value, "a whole number, 1 or more")
        if self.modality not in MODALITIES:
            raise bad("modality", self.modality, f"one of {list(MODALITIES)}")
        if self.pooling not in POOLINGS:
            raise bad("pooling", self.pooling, f"one of {list(POOLINGS)}")
        width, level = (float(v) for v in self.ct_window)
        if not (math.isfinite(width) and math.isfinite(level) and width > 0):
            raise bad("ct_window", self.ct_window, "(width above 0, level), both finite")
        low, high = (float(v) for v in self.mr_percentiles)
        if not 0 <= low < high <= 100:
            raise bad("mr_percentiles", self.mr_percentiles, "(low, high) with 0 <= low < high <= 100")
        object.__setattr__(self, "ct_window", (width, level))
        object.__setattr__(self, "mr_percentiles", (low, high))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict of every setting."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(self).items()}

    def hashed(self) -> dict[str, Any]:
        """The settings that change feature values (what a settings hash covers)."""
        return {k: v for k, v in self.to_dict().items() if k not in ("batch_size", "occlusion_patch", "occlusion_stride")}

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> "DeepSettings":
        """Inverse of :meth:`to_dict`; an unknown key is named."""
        data = dict(data or {})
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"Unknown deep-feature setting(s) {unknown}; known: {sorted(known)}")
        for name in ("ct_window", "mr_percentiles"):
            if name in data:
                value = data[name]
                if not isinstance(value, (list, tuple)) or len(value) != 2:
                    raise ValueError(f"Deep-feature setting {name} = {value!r}: two numbers")
                data[name] = tuple(value)
        return cls(**data)

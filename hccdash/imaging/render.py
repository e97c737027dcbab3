"""One slice of a volume as a PNG: window / level, mask outlines, physical aspect.

A slice is taken from a :class:`~hccdash.imaging.volumes.Volume` (LPS, z y x) and shown
the radiological way: axial with anterior up and the patient's right on the left,
coronal and sagittal with superior up (sagittal: anterior on the left). Grey levels map
``level - width / 2 .. level + width / 2`` linearly onto 0..255 (clipped; shown with
:data:`GREYS` grey levels of a palette PNG, whose last entries are the outline colours). The slice is
scaled to square display pixels of the finer in-plane spacing (bilinear for grey levels,
nearest neighbour for masks), then up to :data:`MIN_SIDE` or down to :data:`MAX_SIDE`
pixels on its longer side, and each mask is drawn as a one-pixel outline in its colour: its border pixels (with a
4-neighbour outside it) or, for a second reader, the pixels just outside it, so that two
outlines that agree are both seen.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image

from hccdash.imaging.volumes import Volume

PLANES = ("axial", "coronal", "sagittal")
MIN_SIDE = 512  # a small crop is enlarged to this many display pixels (outlines stay one pixel thin)
MAX_SIDE = 1024
PNG_COMPRESSION = 1  # zlib level: fastest; a 512 x 512 slice is ~0.2 MB
MRI_PERCENTILES = (1.0, 99.0)
PERCENTILE_SAMPLE = 1_000_000  # voxels looked at for a percentile window (evenly strided)
# Okabe-Ito colours (distinguishable with colour-vision deficiency), with Streamlit's Markdown colour names
READER_COLOURS = (((230, 159, 0), "orange"), ((86, 180, 233), "blue"), ((204, 121, 167), "violet"),
                  ((213, 94, 0), "red"))  # readers in order (a fifth reader takes the first colour again)
ROI_COLOUR = ((0, 158, 115), "green")  # the ROI as pyradiomics sees it


@dataclass(frozen=True)
class Window:
    """Grey-level window: ``width`` and centre ``level`` in image units (HU for CT)."""

    width: float
    level: float

    def __post_init__(self) -> None:
        if not (np.isfinite(self.width) and np.isfinite(self.level)) or self.width <= 0:
            raise ValueError(f"A window needs a finite width above 0 and a finite level, got width {self.width}, "
                             f"level {self.level}")

    @property
    def low(self) -> float:
        return self.level - self.width / 2

    @property
    def high(self) -> float:
        return self.level + self.width / 2

    @classmethod
    def between(cls, low: float, high: float) -> "Window":
        """The window from ``low`` to ``high`` (a width of 1 when they are equal)."""
        return cls(max(float(high) - float(low), 1.0), (float(low) + float(high)) / 2)


PRESETS: dict[str, Window | None] = {
    "CT liver (W150 / L60)": Window(150.0, 60.0),
    "CT abdomen (W400 / L40)": Window(400.0, 40.0),
    "MRI (1st to 99th percentile)": None,  # from the image's own grey levels
}


def percentile_window(array: np.ndarray, percentiles: tuple[float, float] = MRI_PERCENTILES) -> Window:
    """The window between two percentiles of ``array``'s finite values (an even stride of at most
    :data:`PERCENTILE_SAMPLE` voxels; linear interpolation, numpy's default)."""
    flat = array.reshape(-1)
    step = max(1, flat.size // PERCENTILE_SAMPLE)
    sample = flat[::step].astype(np.float64)
    sample = sample[np.isfinite(sample)]
    if not sample.size:
        raise ValueError("The image has no finite voxel value to choose a window from")
    low, high = np.percentile(sample, percentiles)
    return Window.between(low, high)


def preset_window(name: str, array: np.ndarray) -> Window:
    """The window of preset ``name`` (see :data:`PRESETS`) for the image ``array``."""
    if name not in PRESETS:
        raise ValueError(f"Unknown window preset {name!r}; presets: {list(PRESETS)}")
    return PRESETS[name] or percentile_window(array)


def plane_count(shape: Sequence[int], plane: str) -> int:
    """How many slices a (z, y, x) volume has in ``plane``."""
    return int(shape[_axis(plane)])


def _axis(plane: str) -> int:
    if plane not in PLANES:
        raise ValueError(f"Unknown plane {plane!r}; planes: {list(PLANES)}")
    return PLANES.index(plane)  # axial: z (0), coronal: y (1), sagittal: x (2)


def plane_slice(array: np.ndarray, plane: str, index: int) -> np.ndarray:
    """Slice ``index`` of ``plane`` from a (z, y, x) LPS array, rows top to bottom as displayed."""
    count = plane_count(array.shape, plane)
    if not 0 <= index < count:
        raise ValueError(f"Slice {index} is outside the {plane} slices 0..{count - 1}")
    if plane == "axial":
        return array[index]
    return (array[:, index, :] if plane == "coronal" else array[:, :, index])[::-1]


def plane_spacing(spacing: Sequence[float], plane: str) -> tuple[float, float]:
    """(row, column) pixel size in mm of a ``plane`` slice of a volume with spacing (x, y, z)."""
    _axis(plane)
    x, y, z = spacing
    return {"axial": (y, x), "coronal": (z, x), "sagittal": (z, y)}[plane]


def display_size(rows: int, cols: int, row_mm: float, col_mm: float) -> tuple[int, int]:
    """(height, width) in display pixels: square pixels of the finer spacing, the longer side
    brought into ``MIN_SIDE..MAX_SIDE``."""
    pixel = min(row_mm, col_mm)
    height, width = rows * row_mm / pixel, cols * col_mm / pixel
    longer = max(height, width)
    scale = MIN_SIDE / longer if longer < MIN_SIDE else MAX_SIDE / longer if longer > MAX_SIDE else 1.0
    return max(1, round(height * scale)), max(1, round(width * scale))


def to_grey(values: np.ndarray, window: Window) -> np.ndarray:
    """``values`` mapped through ``window`` onto uint8 0..255 (NaN shown black)."""
    scaled = (values.astype(np.float32) - np.float32(window.low)) * np.float32(255.0 / window.width)
    return np.nan_to_num(np.clip(scaled, 0, 255), nan=0.0).astype(np.uint8)


def outline(mask: np.ndarray, outside: bool = False) -> np.ndarray:
    """The one-pixel border of the 2D boolean ``mask``: its pixels with a 4-neighbour outside it (or off
    the image), or with ``outside`` the pixels outside it with a 4-neighbour inside it."""
    padded = np.pad(mask, 1, constant_values=False)
    up, down, left, right = padded[:-2, 1:-1], padded[2:, 1:-1], padded[1:-1, :-2], padded[1:-1, 2:]
    if outside:
        return ~mask & (up | down | left | right)
    return mask & ~(up & down & left & right)


@dataclass(frozen=True, eq=False)
class Overlay:
    """A mask drawn as an outline: boolean (z, y, x) on the volume's grid, its RGB colour, and whether
    the outline runs just outside the mask (so two readers' outlines stay visible where they agree)."""

    roi: np.ndarray
    colour: tuple[int, int, int]
    outside: bool = False


GREYS = 248  # grey levels of a rendered slice; palette entries above them hold the outline colours


def _palette(colours: Sequence[tuple[int, int, int]]) -> np.ndarray:
    """RGB palette: :data:`GREYS` grey levels from black to white, then ``colours``."""
    greys = np.round(np.arange(GREYS) * 255.0 / (GREYS - 1)).astype(np.uint8)
    palette = np.repeat(greys[:, None], 3, axis=1)
    return np.vstack([palette, np.asarray(colours, np.uint8).reshape(-1, 3)])


def render_indexed(volume: Volume, plane: str, index: int, window: Window, overlays: Sequence[Overlay] = ()
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Slice ``index`` of ``plane`` as palette indices (height, width) and its RGB palette: grey levels
    ``0 .. GREYS - 1`` (``GREYS`` steps of the window), overlay ``k`` drawn with index ``GREYS + k``."""
    grey = to_grey(plane_slice(volume.array, plane, index), window)
    rows, cols = grey.shape
    height, width = display_size(rows, cols, *plane_spacing(volume.spacing, plane))
    resized = (height, width) != (rows, cols)
    if resized:
        grey = np.asarray(Image.fromarray(grey).resize((width, height), Image.BILINEAR))
    indices = ((grey.astype(np.uint16) * (GREYS - 1) + 127) // 255).astype(np.uint8)
    for k, overlay in enumerate(overlays):
        if overlay.roi.shape != volume.shape:
            raise ValueError(f"A mask of shape {overlay.roi.shape} cannot be drawn on an image of shape {volume.shape}")
        mask = plane_slice(overlay.roi, plane, index)
        if not mask.any():
            continue
        if resized:
            mask = np.asarray(Image.fromarray(mask.view(np.uint8) * np.uint8(255)).resize((width, height),
                                                                                           Image.NEAREST)) > 127
        indices[outline(mask, overlay.outside)] = GREYS + k
    return indices, _palette([o.colour for o in overlays])


def render_rgb(volume: Volume, plane: str, index: int, window: Window, overlays: Sequence[Overlay] = ()) -> np.ndarray:
    """Slice ``index`` of ``plane`` as an RGB uint8 array (height, width, 3) at display size."""
    indices, palette = render_indexed(volume, plane, index, window, overlays)
    return palette[indices]


def png(rgb: np.ndarray) -> bytes:
    """PNG bytes of an RGB (or grey) uint8 array."""
    buffer = io.BytesIO()
    Image.fromarray(rgb).save(buffer, format="PNG", compress_level=PNG_COMPRESSION)
    return buffer.getvalue()


def render_slice(volume: Volume, plane: str, index: int, window: Window, overlays: Sequence[Overlay] = ()) -> bytes:
    """Slice ``index`` of ``plane`` with the masks' outlines, as PNG bytes (a palette image: one byte
    per pixel, a third of an RGB PNG's size and encoding time; see the module docstring)."""
    indices, palette = render_indexed(volume, plane, index, window, overlays)
    image = Image.fromarray(indices, mode="P")
    image.putpalette(palette.reshape(-1).tolist())
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=PNG_COMPRESSION)
    return buffer.getvalue()


def slices_with(roi: np.ndarray, plane: str) -> np.ndarray:
    """Indices of the ``plane`` slices in which the boolean (z, y, x) ``roi`` has a voxel."""
    axis = _axis(plane)
    others = tuple(a for a in range(3) if a != axis)
    return np.flatnonzero(roi.any(axis=others))


# a heat map's colours from 0 to 1 (anchors of matplotlib's "inferno", perceptually ordered, legible in grey)
HEAT_ANCHORS = ((0, 0, 4), (87, 16, 110), (188, 55, 84), (249, 142, 9), (252, 255, 164))
HEAT_ALPHA = 0.6  # opacity of the heat map where it is 1 (scaled down with the value)


def heat_colours(values: np.ndarray) -> np.ndarray:
    """RGB uint8 colours of ``values`` in 0..1 (clipped; NaN as 0) along :data:`HEAT_ANCHORS`."""
    values = np.nan_to_num(np.clip(values, 0.0, 1.0), nan=0.0)
    anchors = np.asarray(HEAT_ANCHORS, np.float64)
    position = values * (len(anchors) - 1)
    low = np.minimum(position.astype(int), len(anchors) - 2)
    weight = (position - low)[..., None]
    return np.round(anchors[low] * (1 - weight) + anchors[low + 1] * weight).astype(np.uint8)


def render_heat(volume: Volume, plane: str, index: int, window: Window, heat: np.ndarray,
                overlays: Sequence[Overlay] = ()) -> np.ndarray:
    """Slice ``index`` of ``plane`` (:func:`render_rgb`, with the masks' outlines) under a heat map: ``heat``
    (the slice's shape, as :func:`plane_slice` gives it; values 0..1) resized bilinearly to display size and
    blended in :func:`heat_colours` with opacity ``HEAT_ALPHA x value``. RGB uint8 (height, width, 3)."""
    rgb = render_rgb(volume, plane, index, window, overlays)
    expected = plane_slice(volume.array, plane, index).shape
    if heat.shape != expected:
        raise ValueError(f"A heat map of shape {heat.shape} cannot be drawn on a {plane} slice of shape {expected}")
    height, width = rgb.shape[:2]
    shown = np.asarray(Image.fromarray(np.asarray(heat, np.float32), mode="F").resize((width, height), Image.BILINEAR))
    alpha = (HEAT_ALPHA * np.clip(np.nan_to_num(shown, nan=0.0), 0, 1))[..., None]
    blended = rgb * (1 - alpha) + heat_colours(shown) * alpha
    return np.round(blended).astype(np.uint8)

"""Chart export without a browser (vl-convert): PNG bytes and SVG text of any Altair chart or
Vega-Lite spec, at the chart's own size or at a chosen print size and resolution
(:class:`FigureSize`); how pages show a chart (:data:`SCREEN`) so that the screen and the exported
files agree; and Vega-Lite specs that pages can cache and compose (:func:`vega_spec`, :func:`overlay`).

At a chosen size the chart is laid out on ``width_in x height_in`` inches at 72 points per inch
(Vega-Lite's ``autosize: fit``, axes, titles and legends included, so a 10 px font prints at 10 pt),
then drawn at ``dpi``: the PNG has exactly ``round(width_in * dpi) x round(height_in * dpi)`` pixels
and says its resolution (pHYs), so Word and journals place it at its print size; the SVG's width
and height are given in inches. A chart made of several views (the KM curves over their
at-risk table) keeps its proportions and is scaled to fit the box, centred."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import altair as alt
import numpy as np
import pandas as pd
import vl_convert as vlc

# st.altair_chart(chart, **SCREEN) / st.vega_lite_chart(spec, **SCREEN): without Streamlit's theme (its
# palette differs from the PNG / SVG) and at the chart's own width (stretching a layered chart to the
# column clips its title)
SCREEN = {"theme": None, "width": "content"}

Chart = alt.TopLevelMixin | dict[str, Any]


def _json(chart: Chart) -> str | dict[str, Any]:
    return chart if isinstance(chart, dict) else chart.to_json()


POINTS_PER_INCH = 72
MAX_PIXELS = 120_000_000  # a 20 x 10 inch figure at 600 DPI is 72 million


@dataclass(frozen=True)
class FigureSize:
    """A figure's print size and resolution (journals: one column 3.35 in / 85 mm, two columns
    7 in / 174 mm wide; 300 DPI for colour and grey, 600 for line art)."""

    width_in: float = 7.0
    height_in: float = 5.0
    dpi: int = 300

    def __post_init__(self) -> None:
        for name in ("width_in", "height_in"):
            value = getattr(self, name)
            if not 1.0 <= value <= 30.0:
                raise ValueError(f"Figure {name.removesuffix('_in')} must be 1 to 30 inches, got {value!r}")
        if not 72 <= self.dpi <= 1200:
            raise ValueError(f"Figure resolution must be 72 to 1200 DPI, got {self.dpi!r}")
        width, height = self.pixels
        if width * height > MAX_PIXELS:
            raise ValueError(f"Figure of {width} x {height} pixels is too large (at most {MAX_PIXELS:,} pixels): "
                             "lower the size or the DPI")

    @property
    def pixels(self) -> tuple[int, int]:
        """(width, height) of the PNG in pixels."""
        return round(self.width_in * self.dpi), round(self.height_in * self.dpi)


def sized_spec(chart: Chart, size: FigureSize) -> dict[str, Any]:
    """The chart's spec laid out on ``size`` (points; axes, titles and legends inside); a chart of
    several views (concatenated) is left at its own layout."""
    spec = dict(chart) if isinstance(chart, dict) else chart.to_dict()
    if not any(key in spec for key in ("hconcat", "vconcat", "concat", "facet", "repeat")):
        spec.update(autosize={"type": "fit", "contains": "padding"}, width=size.width_in * POINTS_PER_INCH,
                    height=size.height_in * POINTS_PER_INCH)
    return spec


_SVG_SIZE = re.compile(r'^(<svg\b[^>]*?)\swidth="[^"]*"\sheight="[^"]*"')


def _framed(svg: str, width: str, height: str) -> str:
    """``svg`` with its outer width and height set (its viewBox kept: the drawing is scaled to fit, centred)."""
    framed, count = _SVG_SIZE.subn(lambda m: f'{m.group(1)} width="{width}" height="{height}"', svg, count=1)
    if not count:
        raise ValueError("vl-convert's SVG has no width and height on its root element")
    return framed


def chart_png(chart: Chart, scale: float = 2.0, size: FigureSize | None = None) -> bytes:
    """The chart (Altair, or a Vega-Lite spec with its data) as PNG bytes: at its own size
    (``scale`` 2 = double resolution), or at ``size`` (exactly its pixels, its DPI recorded)."""
    if size is None:
        return vlc.vegalite_to_png(_json(chart), scale=scale)
    width, height = ((p + 0.25) * POINTS_PER_INCH / size.dpi for p in size.pixels)  # resvg drops a fraction
    return vlc.svg_to_png(_framed(vlc.vegalite_to_svg(sized_spec(chart, size)), f"{width:.6f}", f"{height:.6f}"),
                          ppi=size.dpi)


def chart_svg(chart: Chart, size: FigureSize | None = None) -> str:
    """The chart (Altair, or a Vega-Lite spec with its data) as SVG text: at its own size, or laid
    out on ``size`` with its width and height in inches."""
    if size is None:
        return vlc.vegalite_to_svg(_json(chart))
    return _framed(vlc.vegalite_to_svg(sized_spec(chart, size)), f"{size.width_in:g}in", f"{size.height_in:g}in")


def vega_spec(chart: alt.TopLevelMixin) -> dict[str, Any]:
    """The chart's Vega-Lite spec with its data as top-level ``datasets`` named ``rows_0``,
    ``rows_1``, ... in order of use (Altair names them by a hash of their rows), so two charts
    that differ only in their data have the same spec apart from ``datasets``, and specs can be
    merged (:func:`overlay`). (Streamlit, too, compares a redrawn chart's spec without dataset
    names: when only the data changed it updates the drawing instead of drawing it anew.) Not
    validated against the schema (the chart functions' tests validate). Data frames become rows through ``alt.to_values``
    without Altair's process-wide data transformer (its 5,000-row limit; Streamlit swaps in its
    own while another session draws a chart)."""
    datasets: dict[str, list] = {}
    spec = _named_frames(chart, datasets, {}).to_dict(validate=False)
    spec["datasets"] = {**spec.get("datasets", {}), **datasets}
    return _renamed(spec)


def _named_frames(chart: alt.TopLevelMixin, datasets: dict[str, list], names: dict[int, str]) -> alt.TopLevelMixin:
    """A copy of ``chart`` whose data frames, at every level, are named datasets (rows in ``datasets``)."""
    chart = chart.copy(deep=False)
    if isinstance(chart.data, pd.DataFrame):
        name = names.setdefault(id(chart.data), f"frame_{len(names)}")
        datasets.setdefault(name, _rows(chart.data))
        chart.data = alt.NamedData(name=name)
    for part in ("layer", "hconcat", "vconcat", "concat"):
        charts = getattr(chart, part, alt.Undefined)
        if charts is not alt.Undefined:
            setattr(chart, part, [_named_frames(sub, datasets, names) for sub in charts])
    return chart


def _rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The frame's rows as JSON-ready dicts: missing and infinite numbers None (as ``alt.to_values``,
    which it falls back on for dates and other types, at a tenth of its cost for plain columns)."""
    if not all(pd.api.types.is_numeric_dtype(t) or pd.api.types.is_bool_dtype(t) or pd.api.types.is_object_dtype(t)
               or isinstance(t, pd.CategoricalDtype) for t in frame.dtypes) or not frame.columns.map(type).isin([str]).all():
        return alt.to_values(frame)["values"]
    values = frame.astype(object)
    finite = frame.notna() & ~frame.isin([np.inf, -np.inf])
    return values.where(finite, None).to_dict("records")


def overlay(base: dict[str, Any], *layers: dict[str, Any]) -> dict[str, Any]:
    """A layered spec (``base``, from :func:`vega_spec` of an ``alt.layer``) with single-view specs
    (``layers``, from :func:`vega_spec`) drawn on top, as ``base + layer`` in Altair: the base's
    title, size and scale resolution; datasets merged and renamed as by :func:`vega_spec`. So a
    page can cache a chart's costly base and add a cheap marker (a chosen lambda) to it."""
    if "layer" not in base:
        raise ValueError("overlay needs a layered base spec (alt.layer(...))")
    datasets = dict(base.get("datasets", {}))
    views = []
    for layer in layers:
        if "layer" in layer or "mark" not in layer:
            raise ValueError("overlay draws single-view specs (one mark) on the base")
        datasets.update({f"{len(views)}:{name}": rows for name, rows in layer.get("datasets", {}).items()})
        view = {k: v for k, v in layer.items() if k not in ("$schema", "datasets", "config")}
        if "data" in view:
            view["data"] = {**view["data"], "name": f"{len(views)}:{view['data']['name']}"}
        views.append(view)
    spec = {k: v for k, v in base.items() if k != "datasets"}
    spec["layer"] = [*base["layer"], *views]
    spec["datasets"] = datasets
    return _renamed(spec)


def _renamed(spec: dict[str, Any]) -> dict[str, Any]:
    """``spec`` with its datasets named rows_0, rows_1, ... in order of first use."""
    datasets = spec.get("datasets", {})
    names: dict[str, str] = {}

    def walk(node: Any) -> Any:
        if isinstance(node, list):
            return [walk(item) for item in node]
        if not isinstance(node, dict):
            return node
        out = {}
        for key, value in node.items():
            if key == "data" and isinstance(value, dict) and value.get("name") in datasets:
                out[key] = {**value, "name": names.setdefault(value["name"], f"rows_{len(names)}")}
            elif key != "datasets":
                out[key] = walk(value)
        return out

    renamed = walk(spec)
    if datasets:
        renamed["datasets"] = {new: datasets[old] for old, new in names.items()}
    return renamed

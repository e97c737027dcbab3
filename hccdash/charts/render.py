"""Chart export without a browser (vl-convert): PNG bytes and SVG text of any Altair chart or
Vega-Lite spec; how pages show a chart (:data:`SCREEN`) so that the screen and the exported files
agree; and Vega-Lite specs that pages can cache and compose (:func:`vega_spec`, :func:`overlay`)."""

from __future__ import annotations

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


def chart_png(chart: Chart, scale: float = 2.0) -> bytes:
    """The chart (Altair, or a Vega-Lite spec with its data) as PNG bytes (``scale`` 2 = double resolution)."""
    return vlc.vegalite_to_png(_json(chart), scale=scale)


def chart_svg(chart: Chart) -> str:
    """The chart (Altair, or a Vega-Lite spec with its data) as SVG text."""
    return vlc.vegalite_to_svg(_json(chart))


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

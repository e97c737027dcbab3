"""Chart export without a browser (vl-convert): PNG bytes and SVG text of any Altair chart, and
how pages show a chart (:data:`SCREEN`) so that the screen and the exported files agree."""

from __future__ import annotations

import altair as alt
import vl_convert as vlc

# st.altair_chart(chart, **SCREEN): without Streamlit's theme (its palette differs from the PNG /
# SVG) and at the chart's own width (stretching a layered chart to the column clips its title)
SCREEN = {"theme": None, "width": "content"}


def chart_png(chart: alt.TopLevelMixin, scale: float = 2.0) -> bytes:
    """The chart as PNG bytes (``scale`` 2 = double resolution)."""
    return vlc.vegalite_to_png(chart.to_json(), scale=scale)


def chart_svg(chart: alt.TopLevelMixin) -> str:
    """The chart as SVG text."""
    return vlc.vegalite_to_svg(chart.to_json())

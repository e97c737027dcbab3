"""Chart export without a browser (vl-convert): PNG bytes and SVG text of any Altair chart."""

from __future__ import annotations

import altair as alt
import vl_convert as vlc


def chart_png(chart: alt.TopLevelMixin, scale: float = 2.0) -> bytes:
    """The chart as PNG bytes (``scale`` 2 = double resolution)."""
    return vlc.vegalite_to_png(chart.to_json(), scale=scale)


def chart_svg(chart: alt.TopLevelMixin) -> str:
    """The chart as SVG text."""
    return vlc.vegalite_to_svg(chart.to_json())

"""Figures exported at a chosen print size and resolution: the PNG has exactly the pixels of
width x height x DPI and records its DPI; a single view is laid out on the box (no margin left over),
a chart of several views is scaled into it; the SVG is sized in inches."""

from __future__ import annotations

import re
import struct

import numpy as np
import pandas as pd
import pytest

from hccdash.charts.evaluation import decision_chart, km_chart
from hccdash.charts.render import FigureSize, chart_png, chart_svg, vega_spec


def _png_size(png: bytes) -> tuple[int, int]:
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", png[16:24])


def _png_dpi(png: bytes) -> float:
    at = png.index(b"pHYs")
    x, y, unit = struct.unpack(">IIB", png[at + 4:at + 13])
    assert unit == 1 and x == y  # pixels per metre
    return x * 0.0254


def _decision() -> dict:
    thresholds = np.round(np.arange(0.05, 0.55, 0.05), 2)
    curves = pd.DataFrame({"threshold": np.tile(thresholds, 2), "model": np.repeat(["clinical", "combined"], 10),
                           "net_benefit": np.r_[0.3 - 0.5 * thresholds, 0.35 - 0.5 * thresholds],
                           "treat_all": np.tile(0.3 - 0.8 * thresholds, 2)})
    return vega_spec(decision_chart(curves, "Decision curve at 24 months, validation"))


def _km():
    times = np.arange(0.0, 40.0, 4.0)
    curves = pd.DataFrame({"group": np.repeat(["low", "high"], 10), "time": np.tile(times, 2),
                           "surv": np.r_[np.exp(-times / 60), np.exp(-times / 20)], "censored": 0})
    curves["lower"], curves["upper"] = curves["surv"] * 0.9, np.minimum(curves["surv"] * 1.1, 1)
    at_risk = pd.DataFrame({"group": np.repeat(["low", "high"], 4), "time": np.tile([0.0, 12.0, 24.0, 36.0], 2),
                            "n": [50, 40, 30, 20, 50, 30, 15, 5]})
    return km_chart(curves, at_risk, "KM")


@pytest.mark.parametrize("size", [FigureSize(3.35, 2.5, 600), FigureSize(7.0, 5.0, 300), FigureSize(4.33, 3.17, 150)])
@pytest.mark.parametrize("make", [_decision, _km])
def test_png_has_the_chosen_pixels_and_dpi(size, make):
    png = chart_png(make(), size=size)
    assert _png_size(png) == size.pixels == (round(size.width_in * size.dpi), round(size.height_in * size.dpi))
    assert _png_dpi(png) == pytest.approx(size.dpi, abs=0.02)


def test_screen_size_png_is_unchanged_without_a_size():
    spec = _decision()
    own = _png_size(chart_png(spec))
    width, height = (float(v) for v in re.search(r'width="([\d.]+)" height="([\d.]+)"', chart_svg(spec)).groups())
    assert own == (round(2 * width), round(2 * height))  # scale 2 of the chart's own size


def test_a_single_view_is_laid_out_on_the_box_and_the_svg_is_sized_in_inches():
    svg = chart_svg(_decision(), size=FigureSize(3.35, 2.5, 600))
    root = re.match(r"<svg[^>]*>", svg).group(0)
    assert 'width="3.35in"' in root and 'height="2.5in"' in root
    box = [float(v) for v in re.search(r'viewBox="([^"]+)"', root).group(1).split()]
    assert box[2] == pytest.approx(3.35 * 72, abs=1) and box[3] == pytest.approx(2.5 * 72, abs=1)
    assert "Decision curve at 24 months, validation" in svg and "Threshold probability" in svg


@pytest.mark.parametrize(("args", "message"), [((0.5, 5.0, 300), "width must be 1 to 30 inches"),
                                               ((7.0, 40.0, 300), "height must be 1 to 30 inches"),
                                               ((7.0, 5.0, 50), "72 to 1200 DPI"),
                                               ((30.0, 30.0, 1200), "too large")])
def test_impossible_sizes_are_refused_with_the_reason(args, message):
    with pytest.raises(ValueError, match=message):
        FigureSize(*args)

"""The patient's marks on the calculator's nomogram: their labels clear the tick labels, and an
input outside the training range is marked at the end of its axis instead of off the chart."""

from __future__ import annotations

import re

import pytest

from hccdash import calculator
from hccdash.charts import calculator as charts
from hccdash.charts.render import chart_svg
from hccdash.registry import registry

pytestmark = pytest.mark.filterwarnings("ignore:Only .* events per model term:UserWarning")

TEXT = re.compile(r'<text ([^>]*)>([^<]*)</text>')


def _boxes(svg: str, fill: str) -> list[tuple[float, float, float, float, str]]:
    """Approximate boxes (left, top, right, bottom) of the SVG text drawn in ``fill``: glyphs
    0.6 font sizes wide, one font size tall above the baseline."""
    boxes = []
    for attrs, text in TEXT.findall(svg):
        if f'fill="{fill}"' not in attrs:
            continue
        x, y = map(float, re.search(r'translate\(([-\d.]+),([-\d.]+)\)', attrs).groups())
        size = float(re.search(r'font-size="([\d.]+)px"', attrs).group(1))
        width = 0.6 * size * len(text)
        anchor = re.search(r'text-anchor="(\w+)"', attrs)
        left = {"middle": x - width / 2, "end": x - width}.get(anchor.group(1) if anchor else "start", x)
        boxes.append((left, y - size, left + width, y, text))
    return boxes


def _overlap(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


@pytest.fixture
def model(cox_pipeline):
    registry.save(cox_pipeline.result.model, "combined", **cox_pipeline.save_kwargs())
    return registry.json_model("combined")


def _patient(cox_pipeline, **changes) -> dict:
    row = cox_pipeline.validation.iloc[0]
    return {"AFP": float(row["AFP"]), "BCLC": str(row["BCLC"]), "sex": str(row["sex"]), "ALB": float(row["ALB"]),
            "rad_score": 0.3, **changes}


def _svg(model, values) -> str:
    return chart_svg(charts.nomogram_chart(*calculator.nomogram_figure(model, calculator.predict_patient(model, values))))


def test_patient_labels_clear_the_tick_labels(model, cox_pipeline):
    svg = _svg(model, _patient(cox_pipeline))
    patient, ticks = _boxes(svg, "#c0392b"), _boxes(svg, "#222")
    assert len(patient) == len(model.terms) + 1 and len(ticks) > 30
    clashes = [(p[4], t[4]) for p in patient for t in ticks if _overlap(p, t)]
    assert not clashes


def test_an_input_outside_the_training_range_is_marked_at_the_end_of_its_axis(model, cox_pipeline):
    values = _patient(cox_pipeline, rad_score=50.0)
    ticks, marks = calculator.nomogram_figure(model, calculator.predict_patient(model, values))
    marks = marks.set_index("axis")
    ends = ticks.groupby("axis")["x"].agg(["min", "max"])
    for axis in ("rad_score", "Total points"):
        assert marks.at[axis, "outside"]
        assert marks.at[axis, "x"] == pytest.approx(ends.at[axis, "max"])  # clamped to the axis end
        assert "outside the training range" in marks.at[axis, "label"]
    assert not marks.loc[["AFP", "sex[M]"], "outside"].any()
    inside = _svg(model, _patient(cox_pipeline))
    outside = _svg(model, values)
    width = re.compile(r'<svg[^>]* width="([\d.]+)"')
    assert float(width.search(outside).group(1)) < 1.5 * float(width.search(inside).group(1))  # was 12,618 px wide
    assert 'fill="#e67e22"' in outside and 'fill="#e67e22"' not in inside  # drawn apart from the in-range marks

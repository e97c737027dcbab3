"""The printable one-page patient report (HTML and PDF) of a calculator result.

Both carry the same content: the model (name, endpoint, training cohort size), the
patient's inputs labelled with their units ("AFP (ng/mL)"), the predicted RFS at each
horizon with its 95% CI (or the ER probability), the risk group with the cut-off used,
nomogram points, each term's contribution, the warnings, and the survival-curve and
nomogram charts as PNG.
Every text from the model or the inputs is escaped. The model's own description (title,
linear-predictor scale) comes from :mod:`hccdash.registry.details`.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import io

import pandas as pd

from hccdash.calculator.position import nomogram_figure
from hccdash.calculator.prediction import PatientResult, waterfall_figure
from hccdash.charts import calculator as charts
from hccdash.charts.render import chart_png
from hccdash.evaluation.risk_groups import cutoff_description
from hccdash.registry.details import lp_note, prediction_title, with_unit
from hccdash.registry.json_model import JsonModel

DISCLAIMER = (
    "Research tool: a statistical estimate from the model's training cohort, not a diagnosis. "
    "Interpret with the treating team."
)


def estimate_cards(model: JsonModel, result: PatientResult) -> list[tuple[str, str, str]]:
    """(label, value, "95% CI lower-upper") per horizon: RFS at t, or the ER probability."""
    value = "surv" if model.family == "cox" else "prob"
    cards = []
    for _, r in result.estimates.iterrows():
        label = f"RFS at {r['horizon']:g} months" if value == "surv" else f"ER within {r['horizon']:g} months"
        if pd.isna(r[value]):
            cards.append((label, "n/a", "beyond the training follow-up"))
        else:
            cards.append((label, f"{100 * r[value]:.1f}%", f"95% CI {100 * r['lower']:.1f}-{100 * r['upper']:.1f}%"))
    return cards


def estimate_rows(model: JsonModel, result: PatientResult) -> list[tuple[str, str]]:
    """(label, "p (95% CI lower-upper)") per horizon, as printed in the report."""
    return [(label, f"{value} ({ci})") for label, value, ci in estimate_cards(model, result)]


def _cell(quantity: str, value, change: bool) -> str:
    if isinstance(value, str):
        return value
    percent = quantity.startswith(("RFS", "ER"))
    if change:
        return f"{100 * value:+.1f} pp" if percent else f"{value:+.4g}"
    return f"{100 * value:.1f}%" if percent else f"{value:.4g}"


def what_if_text(table: pd.DataFrame) -> pd.DataFrame:
    """The what-if table for display: probabilities in percent (changes in percentage
    points), other numbers to 4 significant digits."""
    out = table.copy().astype(object)
    for column in ("before", "after", "change"):
        out[column] = [_cell(q, v, column == "change") for q, v in zip(table["quantity"], table[column])]
    return out


def summary_rows(model: JsonModel, result: PatientResult) -> list[tuple[str, str]]:
    """Model and risk-group lines of the report."""
    training = model.spec["training"]
    cutoffs = ", ".join(f"{c:.4g}" for c in result.cutoffs)
    return [
        ("Model", f"{model.name} ({model.spec['model']['submodel']}, {model.family})"),
        ("Training cohort", f"{training['cohort'] or '-'}: {training['n']} patients, {training['events']} events"),
        ("Linear predictor", f"{result.lp:.4f} ({lp_note(model)})"),
        ("Risk group", f"{result.risk_group} (cut-off {cutoffs} on the linear predictor, "
                       f"{cutoff_description(result.cutoff_method)})"),
        ("Total nomogram points", f"{result.points.set_index('term').at['total', 'points']:.1f}"),
    ]


def _charts(model: JsonModel, result: PatientResult) -> dict[str, bytes]:
    ticks, marks = nomogram_figure(model, result)
    images = {"nomogram": chart_png(charts.nomogram_chart(ticks, marks), scale=1.5),
              "contributions": chart_png(waterfall_figure(model, result), scale=1.5)}
    if result.curve is not None:
        images["survival"] = chart_png(charts.survival_chart(result.curve, model.km_curves(), model.horizons), scale=1.5)
    return images


def _table_html(rows: list[tuple[str, str]]) -> str:
    body = "".join(f"<tr><th>{html.escape(a)}</th><td>{html.escape(b)}</td></tr>" for a, b in rows)
    return f"<table>{body}</table>"


def inputs_rows(model: JsonModel, result: PatientResult) -> list[tuple[str, str]]:
    """(label with unit, e.g. "AFP (ng/mL)", value) of each input."""
    predictors = model.predictors
    rows = []
    for name, value in result.inputs.items():
        label = predictors.at[name, "label"] if name in predictors.index else str(name)
        unit = predictors.at[name, "unit"] if name in predictors.index else ""
        text = f"{value:.4g}" if isinstance(value, float) else str(value)
        rows.append((with_unit(label, unit), text))
    return rows


def _term_rows(result: PatientResult) -> list[tuple[str, str]]:
    points = result.points.set_index("term")["points"]
    return [
        (r.term, f"b={r.coef:.4g}  x={r.value:.4g}  contribution={r.contribution:+.4f}  points={points.get(r.term, float('nan')):.1f}")
        for r in result.contributions.itertuples()
    ]


def patient_report_html(model: JsonModel, result: PatientResult, patient_label: str = "") -> str:
    """A self-contained one-page HTML report (charts embedded as PNG)."""
    images = _charts(model, result)
    warnings = "".join(f"<li>{html.escape(f'{w.column}: {w.problem}')}</li>" for w in result.warnings.itertuples())
    figures = "".join(
        f'<img alt="{name}" src="data:image/png;base64,{base64.b64encode(data).decode()}">' for name, data in images.items()
    )
    return f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{html.escape(prediction_title(model))}</title>
<style>
 @page {{ size: A4; margin: 12mm; }}
 body {{ font-family: sans-serif; font-size: 11px; max-width: 190mm; margin: auto; }}
 h1 {{ font-size: 16px; margin: 0 0 4px; }} h2 {{ font-size: 13px; margin: 10px 0 4px; }}
 table {{ border-collapse: collapse; }} th, td {{ text-align: left; padding: 1px 8px 1px 0; vertical-align: top; }}
 .estimates td {{ font-size: 13px; font-weight: bold; }} img {{ max-width: 49%; }}
 .warn {{ color: #a04000; }} .note {{ color: #555; font-size: 9px; }}
</style></head><body>
<h1>{html.escape(prediction_title(model))}{' - ' + html.escape(patient_label) if patient_label else ''}</h1>
<div class="note">Printed {dt.datetime.now():%Y-%m-%d %H:%M}</div>
<div class="estimates">{_table_html(estimate_rows(model, result))}</div>
<h2>Model and risk group</h2>{_table_html(summary_rows(model, result))}
<h2>Inputs</h2>{_table_html(inputs_rows(model, result))}
<h2>Terms</h2>{_table_html(_term_rows(result))}
{f'<h2 class="warn">Warnings</h2><ul class="warn">{warnings}</ul>' if warnings else ''}
<div>{figures}</div>
<p class="note">{html.escape(DISCLAIMER)}</p>
</body></html>"""


def patient_report_pdf(model: JsonModel, result: PatientResult, patient_label: str = "") -> bytes:
    """The same report as a one-page A4 PDF (reportlab)."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import mm
    from reportlab.platypus import Image, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    styles = getSampleStyleSheet()
    small = styles["BodyText"].clone("small", fontSize=8, leading=10)

    def esc(text: str) -> str:
        return html.escape(text)

    def table(rows: list[tuple[str, str]], bold: bool = False) -> Table:
        style = small.clone("cell", fontName="Helvetica-Bold" if bold else "Helvetica", fontSize=9 if bold else 8)
        t = Table([[Paragraph(esc(a), small), Paragraph(esc(b), style)] for a, b in rows], colWidths=[45 * mm, 135 * mm])
        t.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
                               ("TOPPADDING", (0, 0), (-1, -1), 1), ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.lightgrey)]))
        return t

    title = prediction_title(model) + (f" - {patient_label}" if patient_label else "")
    story = [Paragraph(esc(title), styles["Heading2"]),
             Paragraph(esc(f"Printed {dt.datetime.now():%Y-%m-%d %H:%M}"), small),
             table(estimate_rows(model, result), bold=True), Spacer(1, 3 * mm),
             table(summary_rows(model, result)), Spacer(1, 2 * mm),
             table(inputs_rows(model, result) + _term_rows(result))]
    if not result.warnings.empty:
        story.append(Paragraph(esc("Warnings: " + "; ".join(f"{w.column}: {w.problem}" for w in result.warnings.itertuples())),
                               small.clone("warn", textColor=colors.HexColor("#a04000"))))
    images = [Image(io.BytesIO(data), width=88 * mm, height=88 * mm * _aspect(data)) for data in _charts(model, result).values()]
    grid = [images[i:i + 2] + [""] * (2 - len(images[i:i + 2])) for i in range(0, len(images), 2)]  # two per row
    story += [Spacer(1, 2 * mm), Table(grid, colWidths=[92 * mm] * 2), Spacer(1, 2 * mm),
              Paragraph(esc(DISCLAIMER), small)]
    buffer = io.BytesIO()
    SimpleDocTemplate(buffer, pagesize=A4, leftMargin=12 * mm, rightMargin=12 * mm, topMargin=10 * mm,
                      bottomMargin=10 * mm, title=title).build(story)
    return buffer.getvalue()


def _aspect(png: bytes) -> float:
    """Height / width of a PNG (from its IHDR chunk)."""
    width = int.from_bytes(png[16:20], "big")
    height = int.from_bytes(png[20:24], "big")
    return height / width

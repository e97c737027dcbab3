"""One-click report of a model's evaluation: HTML (self-contained, charts embedded as SVG)
and PDF (reportlab, charts as PNG via vl-convert).

Both hold the same content: the model and cohort, every setting that produced it, the
methods paragraph, the tables (discrimination, time-dependent AUC, horizons and the reason
for any left out, risk groups, calibration tests, DeLong, Youden metrics, hazard ratios,
correlations, centres, leave-one-centre-out and optimism when computed, each term's mean absolute
SHAP-style contribution), every figure (the contribution beeswarms among them),
and the TRIPOD and CLEAR checklists. Every text from the model or the data is escaped.
"""

from __future__ import annotations

import datetime as dt
import html
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pandas as pd

from hccdash.charts.render import chart_png, chart_svg
from hccdash.evaluation import figures
from hccdash.evaluation.checklist import clear_checklist, tripod_checklist
from hccdash.evaluation.methods_text import methods_paragraph
from hccdash.evaluation.optimism import OptimismResult
from hccdash.evaluation.summary import Evaluation

Progress = Callable[[str, float], None] | None


@dataclass(frozen=True)
class ReportContent:
    """Everything the two formats print, in order."""

    title: str
    subtitle: str
    settings: pd.DataFrame
    methods: str
    summary: list[tuple[str, str]]
    tables: list[tuple[str, pd.DataFrame]]
    notes: list[str]
    tripod: pd.DataFrame
    clear: pd.DataFrame


def settings_table(evaluation: Evaluation) -> pd.DataFrame:
    """Every setting as section, name, value."""
    rows = [{"section": section, "setting": key, "value": str(value)}
            for section, values in evaluation.settings.to_dict().items() for key, value in values.items()]
    return pd.DataFrame(rows)


def report_content(evaluation: Evaluation, title: str, optimism: OptimismResult | None = None,
                   loco: pd.DataFrame | None = None,
                   bootstrap: Sequence[tuple[str, pd.DataFrame]] = ()) -> ReportContent:
    """The report's text and tables (no figures); ``bootstrap``: (heading, table) of the final model's
    rms::validate / rms::calibrate results (:mod:`hccdash.evaluation.bootstrap_validation`) once computed."""
    e = evaluation
    s = e.model_summary
    summary = [("Endpoint", s["endpoint"]),
               ("Patients", ", ".join(f"{e.set_name(k)}: {v} ({s['events'][k]} events)" for k, v in s["n"].items())),
               ("Rad-score", s["formula"]),
               ("LASSO lambda", "-" if s["lambda"] is None else f"{s['lambda']:.4g}"),
               ("Features after each step", ", ".join(f"{k} {v}" for k, v in s["funnel"].items())),
               ("Clinical predictors selected", ", ".join(s["clinical_selected"]) or "none"),
               ("Combined vs clinical (LR test)", "chi2 {:.2f}, df {:g}, p {:.3g}".format(*s["lr_test_vs_clinical"])),
               ("Events per variable (combined)", f"{s['epv']:.1f}")]
    tables = [(f"Discrimination ({e.metric_name} with 95% CI)", e.discrimination)]
    if e.endpoint.survival:
        tables += [("Horizons (at-risk rule)", e.horizon_table()), ("Time-dependent AUC", e.time_auc),
                   ("Difference of correlated C-indices, model A - model B (infinitesimal jackknife)", e.c_differences),
                   ("Proportional hazards (cox.zph, training set)", e.proportional_hazards.tests)]
    else:
        tables += [("DeLong tests between models", e.delong), ("Metrics at the training Youden cut-off", e.youden),
                   ("Hosmer-Lemeshow test", e.hosmer_lemeshow)]
    tables += [("Reclassification of model A over model B (category-free NRI, IDI)", e.reclassification),
               ("Risk groups (cut-off from training)", e.risk_group_table()),
               ("Calibration groups", e.calibration),
               ("Nomogram check: total points and outcome read off the nomogram, every set", e.nomogram_check),
               ("Hazard / odds ratios", e.forest),
               ("Spearman correlation of the rad-score", e.correlation)]
    tables += [(f"Mean absolute contribution per term ({x.title}; SHAP-style, b x (x - training mean))",
                x.importance().rename("mean_abs_contribution").rename_axis("term").reset_index())
               for x in e.explanations.values()]
    if e.by_centre is not None:
        tables.append(("By centre", e.by_centre))
    if loco is not None:
        tables.append(("Leave-one-centre-out validation", loco))
    if optimism is not None:
        tables.append((f"Optimism-corrected {e.metric_name} ({optimism.n_boot} bootstrap resamples of the whole "
                       f"pipeline, seed {optimism.seed}, {len(optimism.failures)} failed)", optimism.table))
    tables += list(bootstrap)
    return ReportContent(
        title=title, subtitle=f"Generated {dt.datetime.now():%Y-%m-%d %H:%M} by hccdash",
        settings=settings_table(e), methods=methods_paragraph(e.settings, e.model_summary, optimism), summary=summary,
        tables=[(heading, e.named(frame)) for heading, frame in tables], notes=list(e.notes) + list(s["warnings"]), tripod=tripod_checklist(e, optimism),
        clear=clear_checklist(e, optimism))


def _format(value) -> str:
    if isinstance(value, float):
        return "" if pd.isna(value) else f"{value:.4g}"
    return str(value)


def _html_table(frame: pd.DataFrame) -> str:
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(_format(v))}</td>" for v in row) + "</tr>"
                   for row in frame.itertuples(index=False))
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


_CSS = """body{font-family:Helvetica,Arial,sans-serif;margin:2em;max-width:1200px;color:#222}
table{border-collapse:collapse;margin:.5em 0 1.5em;font-size:12px}td,th{border:1px solid #ccc;padding:2px 6px}
th{background:#f0f0f0}h2{border-bottom:1px solid #ccc;margin-top:1.6em}.fig{margin:1em 0}
.author{color:#a04000}.note{color:#7d6608}"""


def _steps(evaluation: Evaluation, progress: Progress):
    items = list(figures.all_figures(evaluation))
    for k, (name, (chart, _)) in enumerate(items):
        if progress is not None:
            progress(f"figure {name}", k / len(items))
        yield name, chart


def report_html(evaluation: Evaluation, title: str, optimism: OptimismResult | None = None,
                loco: pd.DataFrame | None = None, progress: Progress = None,
                bootstrap: Sequence[tuple[str, pd.DataFrame]] = ()) -> str:
    """The self-contained HTML report (inline SVG figures, no external resource)."""
    c = report_content(evaluation, title, optimism, loco, bootstrap)
    esc = html.escape
    parts = [f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{esc(c.title)}</title>"
             f"<style>{_CSS}</style></head><body><h1>{esc(c.title)}</h1><p>{esc(c.subtitle)}</p>",
             "<h2>Model</h2>", _html_table(pd.DataFrame(c.summary, columns=["item", "value"])),
             "<h2>Methods</h2>", f"<p>{esc(c.methods)}</p>"]
    if c.notes:
        parts += ["<h2>Notes</h2><ul>"] + [f"<li class='note'>{esc(n)}</li>" for n in c.notes] + ["</ul>"]
    parts.append("<h2>Results</h2>")
    for heading, frame in c.tables:
        parts += [f"<h3>{esc(heading)}</h3>", _html_table(frame)]
    parts.append("<h2>Figures</h2>")
    for name, chart in _steps(evaluation, progress):
        parts.append(f"<div class='fig' id='{esc(name)}'>{chart_svg(chart)}</div>")
    parts += ["<h2>TRIPOD checklist</h2>", _html_table(c.tripod), "<h2>CLEAR checklist</h2>", _html_table(c.clear),
              "<h2>Settings</h2>", _html_table(c.settings), "</body></html>"]
    return "".join(parts)


def report_pdf(evaluation: Evaluation, title: str, optimism: OptimismResult | None = None,
               loco: pd.DataFrame | None = None, progress: Progress = None,
               bootstrap: Sequence[tuple[str, pd.DataFrame]] = ()) -> bytes:
    """The same report as PDF (A4, figures as PNG)."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import cm
    from reportlab.platypus import Image, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    c = report_content(evaluation, title, optimism, loco, bootstrap)
    styles = getSampleStyleSheet()
    small = styles["BodyText"].clone("small", fontSize=6.5, leading=8)
    width = A4[0] - 3 * cm

    def para(text: str, style=styles["BodyText"]) -> Paragraph:
        return Paragraph(html.escape(text), style)

    def table(frame: pd.DataFrame) -> Table:
        data = [[para(str(col), small) for col in frame.columns]]
        data += [[para(_format(v), small) for v in row] for row in frame.itertuples(index=False)]
        lengths = [min(max([len(str(col))] + [len(_format(v)) for v in frame[col]]), 60) + 4 for col in frame.columns]
        t = Table(data, colWidths=[width * n / sum(lengths) for n in lengths], repeatRows=1)
        t.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
                               ("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke), ("VALIGN", (0, 0), (-1, -1), "TOP")]))
        return t

    story = [para(c.title, styles["Title"]), para(c.subtitle), Spacer(1, 8), para("Model", styles["Heading2"]),
             table(pd.DataFrame(c.summary, columns=["item", "value"])), para("Methods", styles["Heading2"]),
             para(c.methods)]
    if c.notes:
        story += [para("Notes", styles["Heading2"])] + [para(f"- {n}") for n in c.notes]
    story.append(para("Results", styles["Heading2"]))
    for heading, frame in c.tables:
        story += [para(heading, styles["Heading3"]), table(frame)]
    story.append(para("Figures", styles["Heading2"]))
    for name, chart in _steps(evaluation, progress):
        image = Image(io.BytesIO(chart_png(chart, scale=1.5)))
        ratio = min(width / image.drawWidth, (A4[1] - 5 * cm) / image.drawHeight, 1.0)
        image.drawWidth, image.drawHeight = image.drawWidth * ratio, image.drawHeight * ratio
        story += [image, Spacer(1, 6)]
    story += [para("TRIPOD checklist", styles["Heading2"]), table(c.tripod),
              para("CLEAR checklist", styles["Heading2"]), table(c.clear),
              para("Settings", styles["Heading2"]), table(c.settings)]
    buffer = io.BytesIO()
    SimpleDocTemplate(buffer, pagesize=A4, leftMargin=1.5 * cm, rightMargin=1.5 * cm, title=c.title,
                      topMargin=1.5 * cm, bottomMargin=1.5 * cm).build(story)
    return buffer.getvalue()

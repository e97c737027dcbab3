"""A standalone calculator for a registered model, as DynNom offers: one self-contained HTML file
that a clinician opens in any browser, without a server or the network.

:func:`standalone_payload` keeps only what a prediction needs, and no patient's data: the terms
(coefficient, training mean, level or cut-off), the coefficient covariance, the inputs' labels,
units, levels, training means and physical limits, the rad-score's feature weights and means, the
risk-group cut-offs, and for a Cox model the baseline at the horizons alone (``H0``, its variance
terms ``varhaz`` and ``xbar`` at 1/2/3 years, from :meth:`hccdash.stats.survfit.CoxBaseline.at`).
Left out: the baseline at every training event time, the training ranges (minimum and maximum are
single patients' values), the risk groups' Kaplan-Meier curves, the training fingerprint, notes.

:func:`standalone_html` embeds that payload and ``standalone.js`` (inline), which computes exactly
what :func:`hccdash.calculator.prediction.predict_patient` does: Cox ``S(t | x) = exp(-H0(t)
exp(eta))``, ``eta = b'(x - c)``, with survfit's ``conf.type = "log"`` CI ``S exp(-/+ z
sqrt(varhaz + d'Vd))`` (upper bound capped at 1, evaluated on the log scale as
:func:`hccdash.stats.survfit.survfit_cox`), S NaN beyond the longest follow-up; logistic
``expit(a + b'x)`` with ``expit(lp -/+ z se)``, design columns as :func:`hccdash.registry.json_model.design_matrix`
builds them (log(x), refused for x <= 0, and rms::rcs spline columns included), ``se^2 = [1, x]' V [1, x]``; the risk group by
the cut-offs on the linear predictor (``lp <= cut-off`` is the lower group). ``z`` is computed
here (scipy) for the chosen level, so the file and the app use the same number. A Content
Security Policy (``default-src 'none'``) forbids every fetch: the file works offline and cannot
send the inputs anywhere. User text (names, labels, units) reaches the page as text
(``textContent``), never as HTML.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import Any

from scipy import stats as sps

from hccdash.registry.json_model import JsonModel
from hccdash.settings import CalculatorSettings

SCRIPT = Path(__file__).with_name("standalone.js")
TERM_TYPES = ("linear", "indicator", "above", "at_least", "spline")  # the design terms standalone.js builds
CSP = ("default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src 'none'; "
       "connect-src 'none'; form-action 'none'; base-uri 'none'")
STYLE = """
body { font-family: system-ui, sans-serif; margin: 1.5rem auto; max-width: 52rem; padding: 0 1rem; color: #222; }
h1 { font-size: 1.4rem; } .note { color: #555; font-size: 0.9rem; }
form { display: grid; grid-template-columns: max-content 14rem; gap: 0.5rem 1rem; align-items: center; }
fieldset { grid-column: 1 / -1; display: grid; grid-template-columns: max-content 14rem; gap: 0.5rem 1rem; }
input, select { font: inherit; padding: 0.2rem; } button { grid-column: 1 / -1; justify-self: start; font: inherit; }
table { border-collapse: collapse; margin-top: 1rem; } td, th { border-bottom: 1px solid #ccc; padding: 0.3rem 0.8rem; text-align: left; }
#errors { color: #a00; } #errors:empty { display: none; }
"""


def check_supported(model: JsonModel) -> None:
    """ValueError naming the term types of ``model`` that the standalone calculator cannot build, or that
    ``model`` holds a DL score (it needs its network file)."""
    if model.networks:  # its DL score needs the network file, checked by SHA-256: nothing a browser page can do
        raise ValueError(f"Model {model.name} holds a DL score: it predicts only with its network file "
                         f"({', '.join(sorted(model.networks))}), checked by the app; use the app's Patient calculator")
    unknown = sorted({t["type"] for t in model.spec["model"]["terms"]} - set(TERM_TYPES))
    if unknown:
        raise ValueError(f"Model {model.name}: the standalone calculator cannot build term type(s) {unknown} "
                         f"(it builds {list(TERM_TYPES)}); use the app's Patient calculator")


def standalone_payload(model: JsonModel, level: float = CalculatorSettings().ci_level) -> dict[str, Any]:
    """What the standalone calculator needs of ``model``, and nothing about any patient (module docs)."""
    check_supported(model)
    spec = model.spec
    cox = model.family == "cox"
    baseline = None
    if cox:
        steps = model.baseline().at(model.horizons)
        baseline = {"cumhaz": steps["cumhaz"].tolist(), "varhaz": steps["varhaz"].tolist(),
                    "xbar": steps["xbar"].tolist(), "beyond": steps["beyond"].tolist()}
    rad = spec["radiomics"]
    return {
        "name": model.name,
        "family": model.family,
        "submodel": spec["model"]["submodel"],
        "level": float(level),
        "z": float(sps.norm.ppf(0.5 + level / 2)),
        "horizons": model.horizons if cox else [float(spec["endpoint"]["er_horizon"])],
        "intercept": spec["model"]["intercept"],
        "terms": [{**{k: t[k] for k in ("name", "predictor", "type", "level", "cutoff", "coef", "mean")},
                   "log": bool(t.get("log")), "knots": t.get("knots"), "basis": int(t.get("basis", 0))}
                  for t in spec["model"]["terms"]],
        "covariance": spec["model"]["covariance"],
        "baseline": baseline,
        "predictors": [{k: p[k] for k in ("name", "label", "unit", "kind", "levels", "mean", "hard_min", "hard_max")}
                       for p in spec["predictors"]],
        "radiomics": None if rad is None else {
            "intercept": rad["intercept"],
            "features": [{k: f[k] for k in ("name", "coef", "mean", "sd")} for f in rad["features"]]},
        "risk_groups": {"cutoffs": spec["risk_groups"]["cutoffs"], "labels": spec["risk_groups"]["labels"],
                        "method": spec["risk_groups"]["method"]},
        "training": {"n": spec["training"]["n"], "events": spec["training"]["events"]},
    }


_SCHEME = re.compile(r"(?i)h(?=ttps?:)")


def _script_json(data: Any) -> str:
    """JSON safe inside a ``<script>`` element: ``<``, ``>``, ``&`` and ``/`` escaped (no ``</script>``,
    no ``<!--``), and the ``h`` of ``http:`` / ``https:`` as ``\\u0068``, so that the file holds no
    address even when a label does (only strings can hold these characters; JSON.parse restores them)."""
    text = json.dumps(data, allow_nan=False, ensure_ascii=True)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026").replace("/", "\\/")
    return _SCHEME.sub(lambda m: f"\\u{ord(m.group(0)):04x}", text)


def standalone_html(model: JsonModel, level: float = CalculatorSettings().ci_level) -> str:
    """The standalone calculator of ``model`` as one HTML document (module docs)."""
    payload = standalone_payload(model, level)
    title = html.escape(f"Calculator: {model.name}")
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>{STYLE}</style>
</head>
<body>
<h1 id="title"></h1>
<p class="note" id="about"></p>
<form id="inputs" autocomplete="off"></form>
<div id="errors" role="alert"></div>
<table id="results" hidden>
<thead><tr><th>Horizon</th><th id="estimate-head"></th><th id="ci-head"></th></tr></thead>
<tbody id="estimates"></tbody>
</table>
<p id="summary"></p>
<p class="note">Computed in this page only: no server, no network. The file holds the model's coefficients,
baseline, training means, levels, labels and units, and no patient's data; so it cannot tell when an input lies
outside the training range: check that the patient resembles the training cohort.</p>
<script type="application/json" id="model">{_script_json(payload)}</script>
<script>{SCRIPT.read_text(encoding="utf-8")}</script>
</body>
</html>
"""

"""On-screen tables: p-values printed as in clinical papers, raw numbers left for downloads."""

from __future__ import annotations

import numpy as np
import pandas as pd

from hccdash.display import for_display, format_p


def test_format_p():
    assert [format_p(v) for v in (3e-11, 0.0009999, 0.001, 0.0499, 0.934, 1.0, np.nan, None, "")] == \
        ["<0.001", "<0.001", "0.001", "0.0499", "0.934", "1", "", "", ""]


def test_only_p_columns_are_formatted_and_the_input_is_kept():
    frame = pd.DataFrame({"term": ["rad_score", "AFP"], "hr": [3.9833, 1.0009], "p": [3e-11, 0.068],
                          "p_logrank": [7e-13, 0.5573], "p (variable)": [0.0002, np.nan], "interaction_p": [0.2, 0.01],
                          "predictor": [True, False]})
    shown = for_display(frame)
    assert shown["p"].tolist() == ["<0.001", "0.068"]
    assert shown["p_logrank"].tolist() == ["<0.001", "0.557"]
    assert shown["p (variable)"].tolist() == ["<0.001", ""]
    assert shown["interaction_p"].tolist() == ["0.2", "0.01"]
    assert shown["hr"].tolist() == [3.9833, 1.0009] and shown["predictor"].tolist() == [True, False]
    assert frame["p"].tolist() == [3e-11, 0.068]  # the download copy is untouched


def test_p_text_for_titles():
    from hccdash.display import p_text

    assert [p_text(v) for v in (2e-163, 0.0, 0.279, np.nan)] == ["p < 0.001", "p < 0.001", "p = 0.279", "p = NA"]


def test_term_label_names_terms_by_label_and_unit():
    from hccdash.display import term_label

    labels = {"AFP": "Alpha-fetoprotein", "ALB": "Albumin", "BCLC": "BCLC stage", "AFP_ratio": ""}
    units = {"AFP": "ng/mL", "ALB": "g/L", "age": "years"}
    cases = {"AFP": "Alpha-fetoprotein (ng/mL)", "ALB > 43.4": "Albumin > 43.4 g/L", "ALB >= 35": "Albumin >= 35 g/L",
             "BCLC[B]": "BCLC stage [B]", "log(AFP)": "log(Alpha-fetoprotein) (ng/mL)",
             "AFP'": "Alpha-fetoprotein' (ng/mL)", "age": "age (years)", "AFP_ratio": "AFP_ratio",
             "rad_score": "rad_score", "sex[M]": "sex[M]"}
    assert {term: term_label(term, labels, units) for term in cases} == cases

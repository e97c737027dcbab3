"""Table 1 as journals print it: 3 significant digits, p < 0.001, an overall column, units and
labels, levels in the stored (natural) order, and the CSV and Word files holding those cells."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
from docx import Document
from scipy import stats

from hccdash.cohort.load import Cohort
from hccdash.cohort.table1 import table1
from hccdash.cohort.table1_export import INDENT, table1_docx, table1_publication
from hccdash.spreadsheet import csv_text

AGE_BANDS = ["<=40", "41-50", "51-60", "61-70", ">70"]  # natural order; sorted as text: 41-50 ... <=40, >70


def _cohort() -> tuple[Cohort, dict]:
    rng = np.random.default_rng(11)
    n_train, n_valid = 70, 50
    n = n_train + n_valid
    index = pd.Index([f"P{i:03d}" for i in range(n)], name="patient_id")
    split = ["train"] * n_train + ["validation"] * n_valid
    patients = pd.DataFrame({"time": rng.exponential(30, n), "event": (np.arange(n) % 3 == 0).astype(int),
                             "centre": "A", "split": split}, index=index)
    raw = {
        "age": rng.normal(61.23, 6, n),                                   # normal, typical 61 -> 1 decimal
        "bili": np.r_[rng.normal(0.85, 0.08, n_train), rng.normal(0.87, 0.08, n_valid)],  # 0.85 -> 3 decimals
        "size": np.r_[np.exp(rng.normal(1.2, 0.6, n_train)), np.exp(rng.normal(2.2, 0.6, n_valid))],  # skewed, p < 0.001
        "plt": rng.normal(250, 20, n),                                    # 250 -> 0 decimals
    }
    bands = pd.Categorical(rng.choice(AGE_BANDS, n), categories=AGE_BANDS, ordered=True)
    clinical = pd.DataFrame({**raw, "age_band": bands}, index=index)
    variables = pd.DataFrame({"name": [*raw, "age_band"], "kind": ["continuous"] * 4 + ["ordinal"],
                              "predictor": True, "levels": [[], [], [], [], AGE_BANDS]})
    return Cohort("pub", "months", patients, clinical, variables, pd.DataFrame()), {**raw, "split": np.array(split)}


UNITS = {"age": "years", "bili": "mg/dL", "size": "cm", "plt": "x10^9/L"}
LABELS = {"bili": "Bilirubin", "size": "Tumour size", "plt": "Platelets", "age_band": "Age band"}


@pytest.fixture(scope="module")
def tables():
    cohort, raw = _cohort()
    frame = table1(cohort)
    return frame, table1_publication(frame, UNITS, LABELS), raw


def _row(table: pd.DataFrame, characteristic: str) -> pd.Series:
    return table.set_index("Characteristic").loc[characteristic]


def test_summaries_have_three_significant_digits_and_an_overall_column(tables):
    frame, pub, raw = tables
    train = raw["split"] == "train"
    assert list(pub.columns) == ["Characteristic", "Overall (n = 120)", "Training (n = 70)", "Validation (n = 50)",
                                 "p-value", "Test", "Missing"]
    bili = raw["bili"]
    assert stats.shapiro(bili[train]).pvalue > 0.05 and stats.shapiro(bili[~train]).pvalue > 0.05
    row = _row(pub, "Bilirubin (mg/dL), mean (SD)")
    assert row["Overall (n = 120)"] == f"{bili.mean():.3f} ({bili.std(ddof=1):.3f})"  # 0.850-like, not 0.85
    assert row["Training (n = 70)"] == f"{bili[train].mean():.3f} ({bili[train].std(ddof=1):.3f})"
    age = _row(pub, "age (years), mean (SD)")
    assert age["Overall (n = 120)"] == f"{raw['age'].mean():.1f} ({raw['age'].std(ddof=1):.1f})"
    q1, med, q3 = np.percentile(raw["plt"], [25, 50, 75])  # one group fails Shapiro-Wilk: median [IQR]
    assert _row(pub, "Platelets (x10^9/L), median [IQR]")["Overall (n = 120)"] == f"{med:.0f} [{q1:.0f}, {q3:.0f}]"
    size = _row(pub, "Tumour size (cm), median [IQR]")  # 4.43 [3.12, 8.68]: 3 digits, not 4.4 [3.1, 8.7]
    q1, med, q3 = np.percentile(raw["size"], [25, 50, 75])  # the overall statistic follows the groups' choice
    assert size["Overall (n = 120)"] == f"{med:.2f} [{q1:.2f}, {q3:.2f}]"


def test_p_values_print_below_0001_and_with_three_digits(tables):
    frame, pub, raw = tables
    train = raw["split"] == "train"
    size_p = stats.mannwhitneyu(raw["size"][train], raw["size"][~train], alternative="two-sided").pvalue
    assert size_p < 0.001 and _row(pub, "Tumour size (cm), median [IQR]")["p-value"] == "<0.001"
    age_p = frame.set_index("variable").loc["age", "p"]
    assert _row(pub, "age (years), mean (SD)")["p-value"] == f"{age_p:#.3g}" and len(f"{age_p:#.3g}".strip("0.")) >= 2
    assert _row(pub, "Events, n (%)")["Overall (n = 120)"] == "40 (33.3%)"


def test_p_value_keeps_trailing_zeros():
    from hccdash.display import format_p

    assert [format_p(p, trailing_zeros=True) for p in (0.05, 1.0, 0.0004, 0.12345)] == ["0.0500", "1.00", "<0.001", "0.123"]


def test_ordinal_levels_follow_the_stored_natural_order_with_overall_counts(tables):
    frame, pub, _ = tables
    start = pub.index[pub["Characteristic"] == "Age band, n (%)"][0]
    levels = pub.loc[start + 1:start + len(AGE_BANDS), "Characteristic"].tolist()
    assert levels == [f"{INDENT}{band}" for band in AGE_BANDS]
    counts = pub.loc[start + 1:start + len(AGE_BANDS)]
    for _, row in counts.iterrows():
        overall, train, valid = (int(row[c].split(" ")[0]) for c in pub.columns[1:4])
        assert overall == train + valid


def test_csv_holds_the_publication_cells(tables):
    _, pub, _ = tables
    back = pd.read_csv(io.StringIO(csv_text(pub)), dtype=str, keep_default_na=False)
    assert back.columns.tolist() == pub.columns.tolist()
    assert back.iloc[:, :6].equals(pub.iloc[:, :6].astype(str))


def test_word_file_opens_and_holds_the_rounded_cells(tables):
    _, pub, _ = tables
    document = Document(io.BytesIO(table1_docx(pub, "Table 1. Baseline characteristics")))
    assert document.paragraphs[0].text == "Table 1. Baseline characteristics"
    grid = document.tables[0]
    cells = [[c.text for c in row.cells] for row in grid.rows]
    assert cells[0] == pub.columns.tolist()
    assert len(cells) == len(pub) + 1
    for i, row in enumerate(pub.itertuples(index=False), start=1):
        assert cells[i] == [str(row[0]).removeprefix(INDENT), *map(str, row[1:])]
    size = next(r for r in cells if r[0] == "Tumour size (cm), median [IQR]")
    assert size[4] == "<0.001" and size[5] == "Mann-Whitney U"
    level = next(r for r in grid.rows if r.cells[0].text == ">70")
    assert level.cells[0].paragraphs[0].paragraph_format.left_indent.pt == 12
    assert "Mann-Whitney U" in document.paragraphs[-1].text and "Welch t-test" in document.paragraphs[-1].text


def test_word_file_drops_characters_word_cannot_hold(tables):
    _, pub, _ = tables
    hostile = pub.copy()
    hostile.loc[0, "Characteristic"] = "Follow\x00up\x1b"
    document = Document(io.BytesIO(table1_docx(hostile, "T\x07")))
    assert document.tables[0].rows[1].cells[0].text == "Followup" and document.paragraphs[0].text == "T"


def test_an_imported_ordinal_column_is_listed_in_natural_order(tmp_path):
    """Through the importer: the guessed level order of an age-band column is natural (not as text,
    where "<=40" and ">70" sort after "61-70") and Table 1 keeps it."""
    from hccdash.cohort import import_cohort, load_cohort, read_table
    from hccdash.cohort.events import parse_event_values
    from hccdash.cohort.mapping import guess_mapping, remap

    rng = np.random.default_rng(2)
    n = 60
    pd.DataFrame({"id": [f"P{i:02d}" for i in range(n)], "rfs_months": rng.uniform(1, 60, n).round(1),
                  "recurrence": rng.integers(0, 2, n), "age_band": rng.choice(AGE_BANDS[::-1], n)}
                 ).to_csv(tmp_path / "c.csv", index=False)
    table = read_table(tmp_path / "c.csv")
    mapping = remap(table, guess_mapping(table), id_col="id", time_col="rfs_months", time_unit="months",
                    event_col="recurrence", event_coding=parse_event_values("1,0"))
    assert import_cohort("bands", table, mapping).ok
    pub = table1_publication(table1(load_cohort("bands")))
    start = pub.index[pub["Characteristic"] == "age_band, n (%)"][0]
    assert pub.loc[start + 1:start + 5, "Characteristic"].tolist() == [f"{INDENT}{band}" for band in AGE_BANDS]

"""Table 1: the test chosen for each variable and its p-value, checked against scipy directly."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from hccdash.cohort import import_cohort, load_cohort, read_table
from hccdash.cohort.events import parse_event_values
from hccdash.cohort.load import Cohort
from hccdash.cohort.mapping import guess_mapping, remap
from hccdash.cohort.table1 import (
    FOLLOW_UP,
    categorical_test,
    continuous_test,
    continuous_test_groups,
    km_quantiles,
    table1,
    table1_display,
    table1_named,
)
from hccdash.settings import CohortSettings, SplitSettings
from hccdash.spreadsheet import blank_missing, csv_text
from table1_cohorts import import_six_patients

N_TRAIN, N_VALID = 60, 40
FOLLOW_UP_R = Path(__file__).resolve().parents[1] / "reference" / "follow_up"
EVIL = '=HYPERLINK("http://evil.example","click")'


def _cohort(clinical: dict, kinds: dict, levels: dict | None = None, split=True) -> Cohort:
    n = N_TRAIN + N_VALID
    index = pd.Index([f"P{i:03d}" for i in range(n)], name="patient_id")
    groups = ["train"] * N_TRAIN + ["validation"] * N_VALID if split else [None] * n
    rng = np.random.default_rng(5)
    patients = pd.DataFrame({"time": rng.exponential(20, n), "event": (np.arange(n) % 3 == 0).astype(int),
                             "centre": "A", "split": groups}, index=index)
    levels = levels or {}
    typed = {k: (pd.Categorical(v, categories=levels[k], ordered=kinds[k] == "ordinal") if k in levels
                 else np.asarray(v, float)) for k, v in clinical.items()}
    variables = pd.DataFrame({"name": list(clinical), "kind": [kinds[k] for k in clinical], "predictor": True,
                              "levels": [list(levels.get(k, [])) for k in clinical]})
    return Cohort("t", "months", patients, pd.DataFrame(typed, index=index), variables, pd.DataFrame())


def _row(table, variable):
    return table[(table["variable"] == variable) & table["p"].notna()].iloc[0]


def test_normal_variable_gets_mean_sd_and_welch():
    rng = np.random.default_rng(0)
    a, b = rng.normal(60, 8, N_TRAIN), rng.normal(64, 12, N_VALID)
    table = table1(_cohort({"age": np.r_[a, b]}, {"age": "continuous"}))
    row = _row(table, "age")
    assert row["test"] == "Welch t-test" and row["level"] == "mean (SD)"
    assert row["p"] == pytest.approx(stats.ttest_ind(a, b, equal_var=False).pvalue, rel=1e-12)
    assert row["train"] == f"{a.mean():.1f} ({a.std(ddof=1):.1f})"


def test_skewed_variable_gets_median_iqr_and_mann_whitney():
    rng = np.random.default_rng(1)
    a, b = np.exp(rng.normal(3, 2, N_TRAIN)), np.exp(rng.normal(3.5, 2, N_VALID))
    values = np.r_[a, b]
    values[[0, 1, 70]] = np.nan
    table = table1(_cohort({"AFP": values}, {"AFP": "continuous"}))
    row = _row(table, "AFP")
    assert row["test"] == "Mann-Whitney U" and row["level"] == "median [IQR]"
    expected = stats.mannwhitneyu(a[2:], np.delete(b, 10), alternative="two-sided").pvalue
    assert row["p"] == pytest.approx(expected, rel=1e-12)
    assert (row["missing_train"], row["missing_validation"]) == (2, 1)


def test_large_2x2_gets_chi_squared_with_yates():
    sex = np.r_[["M"] * 35 + ["F"] * 25, ["M"] * 15 + ["F"] * 25]
    table = table1(_cohort({"sex": sex}, {"sex": "categorical"}, {"sex": ["F", "M"]}))
    row = _row(table, "sex")
    expected = stats.chi2_contingency([[25, 25], [35, 15]], correction=True).pvalue
    assert row["test"] == "Chi-squared (Yates)" and row["p"] == pytest.approx(expected, rel=1e-12)
    levels = table[table["variable"] == "sex"].set_index("level")
    assert levels.loc["M", "train"] == "35 (58.3%)" and levels.loc["F", "validation"] == "25 (62.5%)"


def test_sparse_2x2_gets_fisher():
    flag = np.r_[["yes"] * 2 + ["no"] * 58, ["yes"] * 5 + ["no"] * 35]
    row = _row(table1(_cohort({"pvt": flag}, {"pvt": "categorical"}, {"pvt": ["no", "yes"]})), "pvt")
    assert row["test"] == "Fisher exact"
    assert row["p"] == pytest.approx(stats.fisher_exact([[58, 35], [2, 5]]).pvalue, rel=1e-12)


def test_sparse_3x2_gets_seeded_monte_carlo_fisher():
    bclc = np.r_[["A"] * 40 + ["B"] * 18 + ["C"] * 2, ["A"] * 20 + ["B"] * 14 + ["C"] * 6]
    settings = CohortSettings()
    row = _row(table1(_cohort({"BCLC": bclc}, {"BCLC": "ordinal"}, {"BCLC": ["A", "B", "C"]})), "BCLC")
    method = stats.MonteCarloMethod(n_resamples=settings.fisher_resamples, rng=np.random.default_rng(settings.seed))
    expected = stats.fisher_exact(np.array([[40, 20], [18, 14], [2, 6]]), method=method).pvalue
    assert row["test"].startswith("Fisher exact (Monte Carlo") and row["p"] == expected


FISHER_SMALL_R = Path(__file__).resolve().parents[1] / "reference" / "table1_fisher_small"


def test_table_with_more_cells_than_patients_gets_fisher_as_r(tmp_path):
    """R (tests/reference/table1_fisher_small/table1_fisher_small.R)::

        fisher.test(table(stage, set))$p.value  # stage I, I, II (training) / III, III, IV: 0.2

    scipy's Monte Carlo p-value of a 4 x 2 table of 6 patients is a length-1 array (it crashed
    Table 1); 10,000 seeded tables put it within 0.02 (5 standard errors) of R's exact value."""
    r = json.loads((FISHER_SMALL_R / "table1_fisher_small.json").read_text())
    baseline = table1(load_cohort(import_six_patients(tmp_path)))
    row = _row(baseline, "stage")
    assert row["test"].startswith("Fisher exact (Monte Carlo") and isinstance(row["p"], float)
    assert row["p"] == pytest.approx(r["stage_fisher_p"], abs=0.02)
    assert categorical_test(np.array(r["table"]))[1] == row["p"]
    levels = baseline[baseline["variable"] == "stage"].set_index("level")
    assert levels.loc["I", "train"] == "2 (66.7%)" and levels.loc["IV", "validation"] == "1 (33.3%)"


def test_large_3x2_gets_chi_squared_without_correction():
    table = np.array([[20, 10], [25, 10], [15, 20]])
    test, p = categorical_test(table)
    assert test == "Chi-squared" and p == pytest.approx(stats.chi2_contingency(table).pvalue, rel=1e-12)


def test_empty_levels_are_dropped_before_testing():
    test, p = categorical_test(np.array([[30, 10], [0, 0], [20, 30]]))
    assert p == pytest.approx(stats.chi2_contingency([[30, 10], [20, 30]]).pvalue, rel=1e-12)


def test_continuous_test_falls_back_when_one_group_is_not_normal():
    rng = np.random.default_rng(2)
    normal, skewed = rng.normal(0, 1, 50), rng.exponential(1, 50) ** 3
    assert stats.shapiro(skewed).pvalue < 0.05
    assert continuous_test(normal, skewed)[0] == "Mann-Whitney U"


def test_outcome_rows_and_no_split_column():
    rng = np.random.default_rng(3)
    table = table1(_cohort({"age": rng.normal(60, 5, 100)}, {"age": "continuous"}, split=False))
    assert list(table.columns) == ["variable", "level", "all", "p", "test", "missing_all"]
    assert table["variable"].tolist()[:4] == ["Patients", FOLLOW_UP, "Event", "Event"]
    assert table.loc[0, "all"] == "100" and table.loc[3, "all"] == "34 (34.0%)"
    assert table["p"].isna().all()


def test_follow_up_is_the_reverse_kaplan_meier_median_as_r():
    """R (tests/reference/follow_up/follow_up.R, lifelines' gbsg2.csv)::

        q <- function(rows) quantile(survfit(Surv(time, 1 - cens) ~ 1, data = d[rows, ]),
                                     probs = c(0.25, 0.5, 0.75))$quantile
        survdiff(Surv(time, 1 - cens) ~ horTh, data = d)

    Quartiles equal R's to 1e-9 (days); the reverse log-rank p to 1e-9. The reverse-KM
    median (1645 days) is far above the median observed time (1084), which mixes in recurrences."""
    d = pd.read_csv(FOLLOW_UP_R / "gbsg2.csv")
    expected = json.loads((FOLLOW_UP_R / "follow_up.json").read_text())
    for name, rows in (("all", d.index == d.index), ("no", d["horTh"] == "no"), ("yes", d["horTh"] == "yes")):
        got = km_quantiles(d.loc[rows, "time"], 1 - d.loc[rows, "cens"])
        np.testing.assert_allclose(got, expected[name], atol=1e-9, err_msg=name)
    assert np.median(d["time"]) == expected["observed_median"] < expected["all"][1]
    index = pd.Index([f"P{i:03d}" for i in range(len(d))], name="patient_id")
    patients = pd.DataFrame({"time": d["time"].to_numpy(float), "event": d["cens"].to_numpy(),
                             "centre": "A", "split": np.where(d["horTh"] == "no", "train", "validation")}, index=index)
    cohort = Cohort("t", "months", patients, pd.DataFrame(index=index),
                    pd.DataFrame({"name": [], "kind": [], "predictor": [], "levels": []}), pd.DataFrame())
    row = table1(cohort).set_index("variable").loc[FOLLOW_UP]
    assert row["level"] == "median [IQR]"
    assert (row["train"], row["validation"]) == ("1582 [1090, 1926]", "1729 [1163, 2014]")
    assert row["test"] == "Log-rank (reverse KM)" and row["p"] == pytest.approx(expected["logrank_p"], abs=1e-9)


def test_follow_up_quartile_not_reached_and_tied_half_as_r():
    """R: quantile(survfit(Surv(c(1, 2, 3, 4, 5, 6), c(0, 1, 0, 1, 1, 0)) ~ 1)) gives 4, 5, NA;
    quantile(survfit(Surv(1:8, rep(1, 8)) ~ 1)) gives 2.5, 4.5, 6.5 (S exactly 0.5 on [4, 5): midpoint)."""
    np.testing.assert_allclose(km_quantiles([1, 2, 3, 4, 5, 6], [0, 1, 0, 1, 1, 0]), [4, 5, np.nan])
    np.testing.assert_allclose(km_quantiles(np.arange(1.0, 9.0), np.ones(8)), [2.5, 4.5, 6.5])


THREE_R = Path(__file__).resolve().parents[1] / "reference" / "table1_three"


def _three_set_cohort() -> tuple[Cohort, pd.DataFrame]:
    d = pd.read_csv(THREE_R / "three_sets.csv", dtype={"BCLC": str}).set_index("patient_id")
    patients = d[["time", "event"]].assign(centre="A", split=d["set"])
    clinical = pd.DataFrame({"age": d["age"], "AFP": d["AFP"],
                             "sex": pd.Categorical(d["sex"], categories=["F", "M"]),
                             "BCLC": pd.Categorical(d["BCLC"], categories=["0", "A", "B"], ordered=True)})
    variables = pd.DataFrame({"name": ["age", "AFP", "sex", "BCLC"],
                              "kind": ["continuous", "continuous", "categorical", "ordinal"],
                              "predictor": True, "levels": [[], [], ["F", "M"], ["0", "A", "B"]]})
    return Cohort("t", "months", patients, clinical, variables, pd.DataFrame()), d


def test_three_sets_p_values_as_r():
    """R (tests/reference/table1_three/table1_three.R, three_sets.csv; 60 / 30 / 34 patients)::

        oneway.test(age ~ set, data = d, var.equal = FALSE)   # every set passes shapiro.test
        kruskal.test(AFP ~ set, data = d)
        chisq.test(table(d$sex, d$set)); chisq.test(table(d$BCLC, d$set)); chisq.test(table(d$event, d$set))
        survdiff(Surv(time, 1 - event) ~ set, data = d)       # reverse KM: follow-up

    p-values equal R's to 1e-10 (relative); three group columns in set order."""
    cohort, d = _three_set_cohort()
    expected = json.loads((THREE_R / "table1_three.json").read_text())
    table = table1(cohort)
    assert list(table.columns) == ["variable", "level", "overall", "train", "validation", "external", "p", "test",
                                   "missing_overall", "missing_train", "missing_validation", "missing_external"]
    assert table.iloc[0][["overall", "train", "validation", "external"]].tolist() == ["124", "60", "30", "34"]
    tested = table[table["p"].notna()].set_index("variable")
    checks = {"age": ("Welch ANOVA", "age_welch_anova_p"), "AFP": ("Kruskal-Wallis", "afp_kruskal_p"),
              "sex": ("Chi-squared", "sex_chisq_p"), "BCLC": ("Chi-squared", "bclc_chisq_p"),
              "Event": ("Chi-squared", "event_chisq_p"), FOLLOW_UP: ("Log-rank (reverse KM)", "follow_up_logrank_p")}
    for variable, (test, key) in checks.items():
        assert tested.loc[variable, "test"] == test, variable
        assert tested.loc[variable, "p"] == pytest.approx(expected[key], rel=1e-10), variable
    external = d[d["set"] == "external"]["age"]
    assert tested.loc["age", "external"] == f"{external.mean():.1f} ({external.std(ddof=1):.1f})"


def test_three_sets_are_named_for_readers_and_two_sets_unchanged():
    cohort, _ = _three_set_cohort()
    named = table1_display(table1(cohort))
    assert ["overall", "training", "internal validation", "external validation"] == list(named.columns[2:6])
    assert "missing_external validation" in named.columns
    two = table1(_cohort({"age": np.arange(100.0)}, {"age": "continuous"}))
    assert table1_named(two) is two and list(table1_display(two).columns[2:5]) == ["overall", "train", "validation"]


def test_kruskal_wallis_falls_back_when_one_of_three_groups_is_not_normal():
    rng = np.random.default_rng(4)
    a, b, c = rng.normal(0, 1, 40), rng.normal(0.3, 1, 30), rng.exponential(1, 30) ** 3
    test, p, normal = continuous_test_groups([a, b, c])
    assert (test, normal) == ("Kruskal-Wallis", False) and p == pytest.approx(stats.kruskal(a, b, c).pvalue, rel=1e-12)


def _evil_cohort(tmp_path) -> str:
    pd.DataFrame({"id": [f"P{i}" for i in range(20)], "t": range(1, 21), "e": [i % 2 for i in range(20)],
                  "=cmd|' /C calc'!A0": [EVIL if i % 2 else "low" for i in range(20)],
                  "age": range(50, 70)}).to_csv(tmp_path / "c.csv", index=False)
    table = read_table(tmp_path / "c.csv")
    mapping = remap(table, guess_mapping(table), id_col="id", time_col="t", time_unit="months", event_col="e",
                    event_coding=parse_event_values("1,0"))
    assert import_cohort("evil", table, mapping, split=SplitSettings()).ok
    return "evil"


def test_table1_csv_neutralises_user_text_and_has_no_none(tmp_path):
    baseline = table1(load_cohort(_evil_cohort(tmp_path)))
    text = csv_text(baseline)
    back = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    assert "'=cmd|' /C calc'!A0" in set(back["variable"]) and f"'{EVIL}" in set(back["level"])
    assert not any(v.startswith(("=", "@")) for v in back.to_numpy().ravel())
    for word in ("None", "nan", "<NA>"):
        assert word not in text
    assert float(back.loc[back["variable"] == "age", "p"].iloc[0]) == baseline.loc[baseline["variable"] == "age", "p"].iloc[0]


def test_table1_display_has_blank_cells_instead_of_missing(tmp_path):
    baseline = table1(load_cohort(_evil_cohort(tmp_path)))
    assert baseline["p"].isna().any() and baseline["missing_train"].isna().any()
    shown = table1_display(baseline)
    assert not shown.isna().any().any()
    assert shown.loc[0, "p"] == "" and shown.loc[0, "missing_train"] == ""
    assert shown.loc[shown["variable"] == "age", "missing_train"].iloc[0] == "0"
    assert blank_missing(pd.DataFrame({"n": [1, 2]}))["n"].dtype.kind == "i"  # complete columns keep their type

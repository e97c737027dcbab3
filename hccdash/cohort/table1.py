"""Table 1: baseline characteristics by split (training vs validation, or training vs internal
vs external validation) with p-values.

Continuous variables: when both groups pass Shapiro-Wilk (``scipy.stats.shapiro``,
p > ``normality_alpha`` = 0.05, each group n >= 3), mean (SD) and Welch's t-test
(``ttest_ind(equal_var=False)``, R's default ``t.test``); otherwise median [IQR] (25th /
75th percentiles, numpy's linear interpolation = R ``quantile`` type 7) and the
two-sided Mann-Whitney U test (``mannwhitneyu``: exact for small samples without ties,
else the normal approximation with continuity correction, as R ``wilcox.test``).

Categorical / ordinal variables and the event: n (%) of the non-missing values per
level, and the chi-squared test of the levels x groups table (``chi2_contingency``; with
Yates' continuity correction for 2 x 2 tables, as R ``chisq.test``). When any expected
count is below ``min_expected_count`` (5): Fisher's exact test for 2 x 2 tables
(``fisher_exact``, R ``fisher.test``); for larger tables Fisher's test with a Monte Carlo
p-value (``fisher_resamples`` random tables with the observed margins, fixed ``seed``;
as R ``fisher.test(simulate.p.value = TRUE, B = 10000)``). Levels or groups without any
patient are dropped before testing. Missing values are counted per group and left out
of percentages and tests.

Follow-up: the median [IQR] of follow-up by the reverse Kaplan-Meier method (censoring
is the event, recurrences are censored: R ``survfit(Surv(time, 1 - event) ~ 1)`` and its
``quantile(probs = c(0.25, 0.5, 0.75))``), compared between splits by the log-rank test
of the reverse KM (``survdiff(Surv(time, 1 - event) ~ split)``). The median of all
observed times would mix in the early recurrences and understate the follow-up.

Three sets (three-cohort design): one p-value across the three. Continuous: when all three
groups pass Shapiro-Wilk as above, Welch's one-way ANOVA (``f_oneway(equal_var=False)``, R
``oneway.test(x ~ g, var.equal = FALSE)``), else the Kruskal-Wallis test (``kruskal``, with the
tie correction, R ``kruskal.test``); categorical and the event: the same chi-squared / Fisher
rules on the levels x 3 table (no continuity correction beyond 2 x 2, as R ``chisq.test``);
follow-up: the reverse-KM log-rank test with 2 degrees of freedom (``survdiff``). Group columns
are named by the set codes (``train``, ``validation``, ``external``); :func:`table1_named` gives
the names readers see ("training", "internal validation", "external validation").

Overall column: with two or more sets, an ``overall`` column (every patient) precedes the sets,
with the statistic the sets use (mean (SD) only when every set passed Shapiro-Wilk).

Rounding, as journals print: a continuous variable's summaries keep the decimals that give its
typical value (the median of its absolute values) 3 significant digits (61.2 years, 0.850 mg/dL,
250 x10^9/L; no more than 0 decimals from 100 up), the same decimals for its spread; percentages
one decimal; p-values "<0.001" below 0.001, else 3 significant digits (:func:`table1_publication`).
Levels of categorical and ordinal variables are listed in the stored order (the mapping's order,
natural for ordinal levels: ``<=40``, ``41-50``, ..., ``>70``, and editable at import).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from hccdash import stats as hstats
from hccdash.cohort.load import Cohort
from hccdash.cohort.split import SETS, set_names
from hccdash.display import for_display
from hccdash.settings import CohortSettings
from hccdash.spreadsheet import blank_missing

GROUPS = SETS
OVERALL = "overall"
FOLLOW_UP = "Median follow-up (reverse KM), months"
KM_TOLERANCE = np.sqrt(np.finfo(float).eps)  # survival's quantile.survfit tolerance


def km_quantiles(time, event, probs=(0.25, 0.5, 0.75)) -> np.ndarray:
    """Quantiles of the Kaplan-Meier distribution F = 1 - S as R ``quantile(survfit(...), probs)``
    (survival's ``findq``): the first time where F >= p; where F equals p (within
    sqrt(machine eps)) on a flat stretch, the midpoint of its start and the next time F rises
    (the last observed time when it never rises again); NaN when F never reaches p."""
    km = hstats.kaplan_meier(time, event)
    x = np.r_[0.0, km["time"].to_numpy(float)]
    y = np.r_[0.0, 1.0 - km["surv"].to_numpy(float)]
    last_time = x[-1]
    _, first = np.unique(y, return_index=True)  # F is non-decreasing: keep the first time of each value
    x, y = x[first], y[first]
    out = []
    for p in probs:
        i1 = int(np.searchsorted(y + KM_TOLERANCE, p, side="left"))
        i2 = int(np.searchsorted(y - KM_TOLERANCE, p, side="left"))
        if i1 >= y.size:
            out.append(float("nan"))
        elif abs(p - y[-1]) < KM_TOLERANCE:
            out.append((x[i1] + last_time) / 2)
        else:
            out.append((x[i1] + x[i2]) / 2 if i2 < y.size else float("nan"))
    return np.array(out)


def _columns(groups: pd.Series, labels: list[str]) -> dict[str, pd.Series]:
    """Column name -> patients in it: ``overall`` first when there are two or more groups, then each group."""
    masks = {g: groups == g for g in labels}
    return {OVERALL: groups.isin(labels), **masks} if len(labels) >= 2 else masks


def _follow_up_row(patients: pd.DataFrame, groups: pd.Series, labels: list[str]) -> dict:
    """Reverse Kaplan-Meier median [IQR] follow-up per column and the reverse log-rank p."""
    known = patients["time"].notna() & patients["event"].notna()
    time, censored = patients["time"].astype(float), 1 - patients["event"].astype(float)
    decimals = _decimals(time[known].to_numpy())
    cells = {}
    for g, members in _columns(groups, labels).items():
        rows = known & members
        if not rows.any():
            cells[g] = ""
            continue
        q1, med, q3 = (_number(q, decimals) or "NR" for q in km_quantiles(time[rows], censored[rows]))
        cells[g] = f"{med} [{q1}, {q3}]"
    test, p = "", float("nan")
    if len(labels) >= 2:
        rows = known & groups.isin(labels)
        test, p = "Log-rank (reverse KM)", float(hstats.logrank(time[rows], censored[rows], groups[rows])["p"])
    missing = {f"missing_{g}": int((~known & members).sum()) for g, members in _columns(groups, labels).items()}
    return {"variable": FOLLOW_UP, "level": "median [IQR]", **cells, "p": p, "test": test, **missing}


def _normal(x: np.ndarray, settings: CohortSettings) -> bool:
    """Shapiro-Wilk does not reject normality (n >= 3, not constant)."""
    return bool(len(x) >= 3 and np.ptp(x) > 0 and stats.shapiro(x).pvalue > settings.normality_alpha)


def continuous_test(a: np.ndarray, b: np.ndarray, settings: CohortSettings | None = None) -> tuple[str, float, bool]:
    """(test name, p, normal) for two samples, choosing the test by Shapiro-Wilk."""
    return continuous_test_groups([a, b], settings)


def continuous_test_groups(samples, settings: CohortSettings | None = None) -> tuple[str, float, bool]:
    """(test name, p, normal) for two or more samples, choosing the test by Shapiro-Wilk: two
    samples Welch t / Mann-Whitney U, more Welch's one-way ANOVA / Kruskal-Wallis (module docs)."""
    settings = settings or CohortSettings()
    samples = [np.asarray(x, float) for x in samples]
    if any(len(x) == 0 for x in samples):
        return "", float("nan"), False
    normal = all(_normal(x, settings) for x in samples)
    if len(samples) == 2:
        a, b = samples
        if normal:
            return "Welch t-test", float(stats.ttest_ind(a, b, equal_var=False).pvalue), True
        return "Mann-Whitney U", float(stats.mannwhitneyu(a, b, alternative="two-sided").pvalue), False
    if normal:
        return "Welch ANOVA", float(stats.f_oneway(*samples, equal_var=False).pvalue), True
    if len(np.unique(np.concatenate(samples))) < 2:  # every value equal: no ranking to test
        return "Kruskal-Wallis", float("nan"), False
    return "Kruskal-Wallis", float(stats.kruskal(*samples).pvalue), False


def categorical_test(table: np.ndarray, settings: CohortSettings | None = None) -> tuple[str, float]:
    """(test name, p) for a levels x groups count table (see module docs for the choice)."""
    settings = settings or CohortSettings()
    table = np.asarray(table, dtype=np.int64)
    table = table[table.sum(axis=1) > 0][:, table.sum(axis=0) > 0]
    if table.ndim != 2 or min(table.shape) < 2:
        return "", float("nan")
    expected = stats.contingency.expected_freq(table)
    if np.any(expected < settings.min_expected_count):
        if table.shape == (2, 2):
            return "Fisher exact", float(stats.fisher_exact(table).pvalue)
        method = stats.MonteCarloMethod(n_resamples=settings.fisher_resamples, rng=np.random.default_rng(settings.seed))
        # scipy returns the p-value as a length-1 array when the table has more cells than patients
        # (a 4 x 2 table of 6 patients): take its one value
        pvalue = np.asarray(stats.fisher_exact(table, method=method).pvalue).item()
        return f"Fisher exact (Monte Carlo, {settings.fisher_resamples} tables)", float(pvalue)
    result = stats.chi2_contingency(table, correction=True)
    return ("Chi-squared (Yates)" if result.dof == 1 else "Chi-squared"), float(result.pvalue)


SIGNIFICANT_DIGITS = 3


def _decimals(values: np.ndarray) -> int:
    """Decimals for one variable's summary: those giving its typical value (median of the absolute
    values, else the largest) 3 significant digits, none from 100 up (61.2, 4.50, 0.850, 250)."""
    values = np.abs(np.asarray(values, float))
    values = values[np.isfinite(values)]
    scale = float(np.median(values)) if len(values) else 0.0
    if scale == 0:
        scale = float(values.max()) if len(values) else 0.0
    if scale == 0:
        return 0
    return max(0, SIGNIFICANT_DIGITS - 1 - int(np.floor(np.log10(scale))))


def _number(x: float, decimals: int) -> str:
    return f"{x:.{decimals}f}" if np.isfinite(x) else ""


def _continuous_rows(name: str, values: pd.Series, groups: pd.Series, labels: list[str], settings: CohortSettings) -> list[dict]:
    columns = _columns(groups, labels)
    samples = {g: values[members].dropna().to_numpy(float) for g, members in columns.items()}
    missing = {f"missing_{g}": int(values[members].isna().sum()) for g, members in columns.items()}
    if len(labels) >= 2:
        test, p, normal = continuous_test_groups([samples[g] for g in labels], settings)
    else:
        test, p = "", float("nan")
        normal = _normal(samples[labels[0]], settings)
    decimals = _decimals(values[groups.isin(labels)].dropna().to_numpy(float))
    cells = {}
    for g, x in samples.items():
        if len(x) == 0:
            cells[g] = ""
        elif normal:
            cells[g] = f"{_number(x.mean(), decimals)} ({_number(x.std(ddof=1), decimals) if len(x) > 1 else ''})"
        else:
            q1, med, q3 = np.percentile(x, [25, 50, 75])
            cells[g] = f"{_number(med, decimals)} [{_number(q1, decimals)}, {_number(q3, decimals)}]"
    return [{"variable": name, "level": "mean (SD)" if normal else "median [IQR]", **cells, "p": p, "test": test, **missing}]


def _categorical_rows(name: str, values: pd.Series, groups: pd.Series, labels: list[str], levels: list[str],
                      settings: CohortSettings) -> list[dict]:
    counts = pd.crosstab(pd.Categorical(values, categories=levels), pd.Categorical(groups, categories=labels), dropna=False)
    counts = counts.reindex(index=levels, columns=labels, fill_value=0)
    test, p = categorical_test(counts.to_numpy(), settings) if len(labels) >= 2 else ("", float("nan"))
    columns = _columns(groups, labels)
    if OVERALL in columns:
        counts.insert(0, OVERALL, counts.sum(axis=1))
    missing = {f"missing_{g}": int(values[members].isna().sum()) for g, members in columns.items()}
    rows = [{"variable": name, "level": "n (%)", **{g: "" for g in columns}, "p": p, "test": test, **missing}]
    totals = counts.sum(axis=0)
    for level in levels:
        cells = {g: f"{counts.at[level, g]} ({100 * counts.at[level, g] / totals[g]:.1f}%)" if totals[g] else ""
                 for g in columns}
        rows.append({"variable": name, "level": level, **cells, "p": np.nan, "test": ""})
    return rows


def table1(cohort: Cohort, settings: CohortSettings | None = None) -> pd.DataFrame:
    """Baseline table of ``cohort`` by split (one ``all`` column when it has no split).

    Columns: ``variable``, ``level`` (the statistic shown, or the category), ``overall`` (with
    two or more groups), one column per group, ``p``, ``test``, ``missing_<column>``. Rows:
    patients, median follow-up (reverse Kaplan-Meier, months), events, then every predictor in
    stored order (cells as text, rounded as the module docs say; ``p`` a float).
    """
    settings = settings or CohortSettings()
    patients = cohort.patients
    has_split = patients["split"].notna().any()
    labels = [g for g in GROUPS if (patients["split"] == g).any()] if has_split else ["all"]
    groups = patients["split"] if has_split else pd.Series("all", index=patients.index)
    columns = _columns(groups, labels)
    rows = [{"variable": "Patients", "level": "n", **{g: str(int(m.sum())) for g, m in columns.items()},
             "p": np.nan, "test": ""}]
    rows.append(_follow_up_row(patients, groups, labels))
    events = patients["event"].map({1: "event", 0: "censored"})
    rows += _categorical_rows("Event", events, groups, labels, ["event", "censored"], settings)[:2]
    for var in cohort.variables[cohort.variables["predictor"]].itertuples(index=False):
        values = cohort.clinical[var.name]
        if var.kind == "continuous":
            rows += _continuous_rows(var.name, values, groups, labels, settings)
        else:
            rows += _categorical_rows(var.name, values.astype(object), groups, labels, list(var.levels), settings)
    frame = pd.DataFrame(rows).reindex(columns=["variable", "level", *columns, "p", "test",
                                                 *(f"missing_{g}" for g in columns)])
    for g in columns:
        frame[f"missing_{g}"] = frame[f"missing_{g}"].astype("Int64")
    return frame


def table1_named(frame: pd.DataFrame) -> pd.DataFrame:
    """Table 1 with the three sets' columns named as readers see them ("training", "internal
    validation", "external validation", and ``missing_<name>``); a two-set table is unchanged."""
    groups = [g for g in GROUPS if g in frame.columns]
    if "external" not in groups:
        return frame
    names = set_names(groups)
    return frame.rename(columns={**{g: names[g] for g in groups}, **{f"missing_{g}": f"missing_{names[g]}" for g in groups}})


def table1_display(frame: pd.DataFrame) -> pd.DataFrame:
    """Table 1 as the pages show it: p as clinical papers print it (``<0.001``), empty cells blank,
    the three sets named (:func:`table1_named`)."""
    return blank_missing(for_display(table1_named(frame)))

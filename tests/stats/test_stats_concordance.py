"""Concordance against survival::concordance (fixtures in tests/reference/concordance, made by
concordance.R) and closed forms."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hccdash.stats import bootstrap_c, harrell_c, harrell_c_se, uno_c
from hccdash.stats.concordance import _bootstrap_counts

REF = Path(__file__).resolve().parents[1] / "reference" / "concordance"
R = json.loads((REF / "concordance.json").read_text())
ROSSI = pd.read_csv(REF / "rossi.csv")
WHAS = pd.read_csv(REF / "whas500.csv")
TINY = pd.read_csv(REF / "tiny.csv")
CASES = {
    "rossi_prio": (ROSSI.week, ROSSI.arrest, ROSSI.prio),
    "whas_age": (WHAS.lenfol, WHAS.fstat, WHAS.age),
    "whas_age10": (WHAS.lenfol, WHAS.fstat, (WHAS.age / 10).round()),
    "tiny": (TINY.time, TINY.event, TINY.risk),
}


@pytest.mark.parametrize("case", list(CASES))
def test_harrell_c_and_std_match_survival_concordance(case):
    """R: concordance(Surv(time, event) ~ risk, reverse = TRUE): $concordance and sqrt($var),
    1e-10 (tied times and tied risks in every case; the issue asks 1e-6)."""
    time, event, risk = CASES[case]
    assert harrell_c(time, event, risk) == pytest.approx(R[case]["c"], abs=1e-10)
    assert harrell_c_se(time, event, risk) == pytest.approx(R[case]["std"], rel=1e-10)


@pytest.mark.parametrize("case", list(CASES))
def test_uno_c_matches_survival_concordance_n_over_g2(case):
    """R: concordance(Surv(time, event) ~ risk, reverse = TRUE, timewt = "n/G2"), 1e-10."""
    assert uno_c(*CASES[case]) == pytest.approx(R[case]["uno"], abs=1e-10)


def test_uno_c_truncated_at_tau():
    """R: concordance(Surv(lenfol, fstat) ~ age, whas, reverse = TRUE, timewt = "n/G2", ymax = 1000)."""
    ref = R["whas_age_uno_tau"]
    value = uno_c(WHAS.lenfol, WHAS.fstat, WHAS.age, tau=ref["tau"])
    assert value == pytest.approx(ref["uno"], abs=1e-10)
    assert value != pytest.approx(R["whas_age"]["uno"], abs=1e-4)


def test_tiny_table_counts_by_hand():
    """tiny.csv, R's $count: 25 concordant, 2 discordant, 3 tied-risk pairs -> C = 26.5 / 30.
    The censored time-2 subject is comparable with the two time-2 deaths (it counts as longer);
    the two time-2 deaths are not comparable with each other (R's tied.y = 1)."""
    assert harrell_c(*CASES["tiny"]) == pytest.approx((25 + 3 / 2) / 30, abs=1e-15)
    assert R["tiny"]["count"]["concordant"] == 25 and R["tiny"]["count"]["tied.x"] == 3


def test_perfect_and_reversed_ranking():
    time = np.arange(1.0, 21.0)
    event = np.ones(20)
    assert harrell_c(time, event, -time) == 1.0
    assert harrell_c(time, event, time) == 0.0
    assert harrell_c(time, event, np.zeros(20)) == 0.5


def test_higher_risk_means_earlier_event_sign():
    time, event = np.array([1.0, 2.0, 3.0]), np.array([1, 1, 0])
    assert harrell_c(time, event, [3.0, 2.0, 1.0]) == 1.0


def test_bootstrap_equals_resampling_loop():
    """The vectorised bootstrap equals harrell_c on each resample (same multiplicities)."""
    time, event, risk = (np.asarray(v, float) for v in CASES["whas_age10"])
    n_boot, seed = 40, 7
    counts = _bootstrap_counts(time.size, n_boot, seed).astype(int)
    loop = []
    for row in counts:
        idx = np.repeat(np.arange(time.size), row)
        loop.append(harrell_c(time[idx], event[idx], risk[idx]))
    c, lower, upper = bootstrap_c(time, event, risk, n_boot=n_boot, seed=seed)
    assert c == pytest.approx(R["whas_age10"]["c"], abs=1e-10)
    assert (lower, upper) == pytest.approx(tuple(np.quantile(loop, [0.025, 0.975])), abs=1e-12)


def test_bootstrap_is_seeded_and_brackets_c():
    time, event, risk = CASES["whas_age"]
    first = bootstrap_c(time, event, risk, n_boot=300, seed=1)
    assert first == bootstrap_c(time, event, risk, n_boot=300, seed=1)
    assert first != bootstrap_c(time, event, risk, n_boot=300, seed=2)
    assert first.lower < first.c < first.upper
    # the percentile interval is about +- 1.96 infinitesimal-jackknife standard errors
    assert first.upper - first.lower == pytest.approx(2 * 1.96 * R["whas_age"]["std"], rel=0.2)


def test_bad_input_names_position():
    with pytest.raises(ValueError, match="event must be 0/1.*position 1"):
        harrell_c([1, 2], [1, 2], [0.1, 0.2])
    with pytest.raises(ValueError, match="risk.*position 0"):
        harrell_c([1, 2], [1, 0], [np.nan, 0.2])
    with pytest.raises(ValueError, match="same length"):
        harrell_c([1, 2], [1, 0], [0.1])
    assert np.isnan(harrell_c([1, 2], [0, 0], [0.1, 0.2]))

"""Why some statistics are hand-written: each against the library one would use instead.

For the LASSO (Cox and logistic), time-dependent AUC, the Cox survival curve with Efron ties,
DeLong and ComBat, prints the largest difference from the R output recorded in
``tests/reference/`` (same data, same call) for hccdash and for the library alternative, and
the time of each. Run: ``python bench/hand_code.py`` (``--alternatives PATH`` adds a folder
where packages not in requirements are installed, e.g. ``pip install --target PATH
neuroCombat==0.2.12 inmoose==0.9.1 --no-deps``). The numbers quoted in the docstrings of
:mod:`hccdash.stats.lasso`, :mod:`hccdash.stats.time_auc`, :mod:`hccdash.stats.survfit`,
:mod:`hccdash.stats.roc` and :mod:`hccdash.stats.combat` come from this script.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))
REF = PROJECT / "tests" / "reference"


def timed(function, repeat: int = 3):
    """(result, best seconds of ``repeat`` runs)."""
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = function()
        best = min(best, time.perf_counter() - start)
    return result, best


def show(name: str, what: str, ours: tuple[float, float], other: tuple[float, float] | str) -> None:
    line = f"{name}: {what} hccdash diff={ours[0]:.1e} time={ours[1] * 1e3:.1f}ms"
    if isinstance(other, str):
        line += f" | alternative: {other}"
    else:
        line += f" | alternative diff={other[0]:.1e} time={other[1] * 1e3:.1f}ms"
    print(line, flush=True)


def _zscore(frame: pd.DataFrame) -> pd.DataFrame:
    return (frame - frame.mean()) / frame.std(ddof=1)


def _r_coef(name: str) -> pd.DataFrame:
    long = pd.read_csv(REF / "lasso" / name)
    return long.pivot_table(index="feature", columns="lambda", values="coef", sort=False)


def lasso_cox() -> None:
    from sksurv.linear_model import CoxnetSurvivalAnalysis
    from sksurv.util import Surv

    from hccdash.stats import lasso_path

    data = pd.read_csv(REF / "lasso" / "whas500.csv")
    X = _zscore(data.iloc[:, :14])
    y = Surv.from_arrays(event=data["fstat"].astype(bool), time=data["lenfol"] / 365.25)
    expected = _r_coef("cox_coef.csv").loc[X.columns]
    lambdas = sorted(expected.columns, reverse=True)
    path, ours_s = timed(lambda: lasso_path(X, y, "cox", lambdas=lambdas))
    ours = float(np.abs(path.coefficients.loc[X.columns, :].to_numpy() - expected[lambdas].to_numpy()).max())
    # scikit-survival's coordinate descent (glmnet's algorithm) with glmnet's objective and no rescaling
    net = CoxnetSurvivalAnalysis(l1_ratio=1.0, alphas=lambdas, normalize=False, tol=1e-12, max_iter=1_000_000)
    fitted, other_s = timed(lambda: net.fit(X, y))
    other = float(np.abs(fitted.coef_ - expected[lambdas].to_numpy()).max())
    show("LASSO Cox (whas500, 14 features, 3 lambdas)", "max |coef - glmnet|", (ours, ours_s), (other, other_s))
    full, ours_path_s = timed(lambda: lasso_path(X, y, "cox"))
    default = CoxnetSurvivalAnalysis(l1_ratio=1.0, normalize=False, n_alphas=100, tol=1e-7, max_iter=100_000)
    _, other_path_s = timed(lambda: default.fit(X, y))
    print(f"LASSO Cox whole path: hccdash {len(full.lambdas)} lambdas {ours_path_s * 1e3:.0f}ms | "
          f"scikit-survival 100 alphas (tol 1e-7) {other_path_s * 1e3:.0f}ms", flush=True)


def lasso_logistic() -> None:
    from sklearn.linear_model import LogisticRegression

    from hccdash.stats import lasso_path

    data = pd.read_csv(REF / "lasso" / "breast_cancer.csv")
    X, y = _zscore(data.iloc[:, :10]), data["target"].to_numpy()
    expected = _r_coef("binomial_coef.csv").rename(index={"(Intercept)": "intercept"})
    lambdas = sorted(expected.columns, reverse=True)
    rows = ["intercept", *X.columns]
    path, ours_s = timed(lambda: lasso_path(X, y, "binomial", lambdas=lambdas))
    ours = float(np.abs(path.coefficients.loc[rows].to_numpy() - expected.loc[rows, lambdas].to_numpy()).max())

    def sklearn_fits() -> np.ndarray:
        out = []
        for lam in lambdas:  # glmnet's -loglik/n + lam |b|  ==  sklearn's C = 1 / (n lam), intercept unpenalised
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                model = LogisticRegression(C=1 / (len(y) * lam), l1_ratio=1.0, penalty="elasticnet",
                                           solver="saga", tol=1e-10, max_iter=100_000).fit(X, y)
            out.append(np.r_[model.intercept_, model.coef_[0]])
        return np.array(out).T

    fitted, other_s = timed(sklearn_fits, repeat=1)
    other = float(np.abs(fitted - expected.loc[rows, lambdas].to_numpy()).max())
    show("LASSO logistic (breast cancer, 10 features, 3 lambdas)", "max |coef - glmnet|", (ours, ours_s),
         (other, other_s))


def time_auc() -> None:
    from sksurv.metrics import cumulative_dynamic_auc
    from sksurv.util import Surv

    from hccdash.stats import time_dependent_auc

    expected = json.loads((REF / "time_auc" / "time_auc.json").read_text())
    gbsg = pd.read_csv(REF / "time_auc" / "gbsg2.csv")
    rossi = pd.read_csv(REF / "time_auc" / "rossi.csv")
    cases = {
        "gbsg_lp": (gbsg, "time", "cens", 0.05 * gbsg["pnodes"] + 0.01 * gbsg["tsize"] - 0.002 * gbsg["progrec"]),
        "gbsg_pnodes": (gbsg, "time", "cens", gbsg["pnodes"]),
        "rossi_prio": (rossi, "week", "arrest", rossi["prio"]),
    }
    ours_diff = other_diff = ours_s = other_s = 0.0
    refused = []
    for case, (data, t, e, risk) in cases.items():
        times = np.asarray(expected[case]["times"], float)
        r_auc = np.asarray(expected[case]["auc"])
        got, seconds = timed(lambda: time_dependent_auc(data[t], data[e], risk, times))
        ours_diff, ours_s = max(ours_diff, float(np.abs(got - r_auc).max())), ours_s + seconds
        y = Surv.from_arrays(event=data[e].astype(bool), time=data[t].astype(float))
        try:
            (auc, _), seconds = timed(lambda: cumulative_dynamic_auc(y, y, risk.to_numpy(float), times))
            other_diff, other_s = max(other_diff, float(np.abs(auc - r_auc).max())), other_s + seconds
        except ValueError as exc:  # what scikit-survival refuses is a finding too
            refused.append(f"{case}: {exc}")
    other = (other_diff, other_s) if not refused else (
        f"scikit-survival cumulative_dynamic_auc diff={other_diff:.1e} on the cases it takes; refuses "
        + "; ".join(refused))
    show("time-dependent AUC (3 cases, riskRegression::Score)", "max |AUC - R|", (ours_diff, ours_s), other)


def survfit_efron() -> None:
    from lifelines import CoxPHFitter

    from hccdash.stats import cox_fit

    rossi = pd.read_csv(REF / "survest" / "rossi.csv")
    newdata = pd.read_csv(REF / "survest" / "newdata.csv")
    expected = pd.read_csv(REF / "survest" / "survest.csv")
    columns = ["fin", "age", "prio", "wexp"]

    def ours_curves() -> np.ndarray:
        model = cox_fit(rossi[columns], rossi["week"], rossi["arrest"])
        times = expected.loc[expected.patient == 0, "time"].to_numpy()
        return np.asarray(model.predict_survival(newdata[columns], times)).ravel()

    def lifelines_curves() -> np.ndarray:
        fitter = CoxPHFitter().fit(rossi[[*columns, "week", "arrest"]], "week", "arrest")
        times = expected.loc[expected.patient == 0, "time"].to_numpy()
        return fitter.predict_survival_function(newdata[columns], times=times).to_numpy().T.ravel()

    ours, ours_s = timed(ours_curves)
    other, other_s = timed(lifelines_curves)
    show("Cox S(t | x), Efron ties (rossi, survfit.coxph)", "max |S - R|",
         (float(np.abs(ours - expected["surv"]).max()), ours_s),
         (float(np.abs(other - expected["surv"]).max()), other_s))


def delong() -> None:
    from sklearn.metrics import roc_auc_score

    from hccdash.stats import delong_ci

    spec = json.loads((REF / "roc" / "roc.json").read_text())
    data = pd.read_csv(REF / "roc" / "gbsg2.csv")
    y, score = data["cens"], data["pnodes"]
    ours, ours_s = timed(lambda: delong_ci(y, score))
    diff = float(np.abs(np.array([ours[0], *ours[1:]]) - np.array([spec["pnodes"]["auc"], spec["pnodes"]["ci95"][0],
                                                                      spec["pnodes"]["ci95"][2]])).max())
    auc_only, other_s = timed(lambda: roc_auc_score(y, score))
    show("DeLong AUC and 95% CI (gbsg2 pnodes, pROC ci.auc)", "max |value - R|", (diff, ours_s),
         f"scikit-learn: the AUC only ({abs(auc_only - spec['pnodes']['auc']):.1e} off, {other_s * 1e3:.1f}ms), "
         "no DeLong variance, CI or paired test")


def combat(alternatives: Path | None) -> None:
    from hccdash.stats import combat as hand_combat

    cases = pd.read_csv(REF / "combat" / "cases.csv", keep_default_na=False).set_index("case")
    spec = cases.loc["simulated"]
    data = pd.read_csv(REF / "combat" / spec["data"], index_col="id", dtype={spec["batch_col"]: str})
    data = data[data[spec["batch_col"]].isin(spec["batches"].split(";"))]
    X, batch = data.drop(columns=spec["batch_col"]), data[spec["batch_col"]]
    expected = pd.read_csv(REF / "combat" / "adjusted_simulated.csv", index_col="id")
    sd = X.std(ddof=1)
    got, ours_s = timed(lambda: hand_combat(X, batch))
    ours = float(((got - expected).abs() / sd).max().max())
    if alternatives is None:
        show("ComBat (75 x 60, 3 batches, sva::ComBat)", "max diff in sd", (ours, ours_s), "not installed")
        return
    sys.path.insert(0, str(alternatives))
    results = []
    try:
        from neuroCombat import neuroCombat

        def run_neurocombat() -> pd.DataFrame:
            with contextlib.redirect_stdout(io.StringIO()):  # it prints each step
                out = neuroCombat(dat=X.T.to_numpy(), covars=pd.DataFrame({"batch": batch.to_numpy()}),
                                  batch_col="batch")
            return pd.DataFrame(out["data"].T, index=X.index, columns=X.columns)

        adjusted, other_s = timed(run_neurocombat)
        other = float(((adjusted - expected).abs() / sd).max().max())
        results.append(f"neuroCombat 0.2.12 diff={other:.1e} time={other_s * 1e3:.1f}ms")
    except Exception as exc:  # noqa: BLE001 - what it raises is the finding
        results.append(f"neuroCombat 0.2.12 fails: {type(exc).__name__}: {str(exc)[:80]}")
    try:
        from inmoose.pycombat import pycombat_norm

        adjusted, other_s = timed(lambda: pycombat_norm(X.T, batch.to_numpy()))
        other = float(((adjusted.T - expected).abs() / sd).max().max())
        results.append(f"inmoose 0.9.1 pycombat_norm diff={other:.1e} time={other_s * 1e3:.1f}ms")
    except Exception as exc:  # noqa: BLE001
        results.append(f"inmoose 0.9.1 fails: {type(exc).__name__}: {str(exc)[:80]}")
    show("ComBat (75 x 60, 3 batches, sva::ComBat)", "max diff in sd", (ours, ours_s), "; ".join(results))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alternatives", type=Path, help="folder of packages not in requirements (--target install)")
    args = parser.parse_args()
    lasso_cox()
    lasso_logistic()
    time_auc()
    survfit_efron()
    delong()
    combat(args.alternatives)


if __name__ == "__main__":
    main()

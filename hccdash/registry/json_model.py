"""Predictions from a model file alone (no pickle, no fitting code): :class:`JsonModel`.

Cox models (endpoint RFS). With terms ``x`` (design columns built from the inputs),
coefficients ``b`` and training means ``c``, the linear predictor is ``lp = b'x`` and
``S(t | x) = exp(-H0(t) exp(b'(x - c)))`` with ``H0`` the baseline cumulative hazard at ``c``
(Efron-adjusted increments for Efron ties, as ``survfit`` on a ``coxph`` fit), with survfit's
``conf.type = "log"`` CI: both from :func:`hccdash.stats.survfit.survfit_cox`, the code behind
``CoxModel.predict_survival`` (formula and the log-scale evaluation there). S(t) is 1 before
the first event time and NaN beyond the largest training time.

Logistic models (endpoint ER): ``p = 1 / (1 + exp(-(a + b'x)))``; the 95% CI is
``expit(lp -/+ z * se)`` with ``se^2 = [1, x]' V [1, x]`` (as ``predict(glm,
se.fit=TRUE)`` on the link scale).

The rad-score is ``intercept + sum_j coef_j (f_j - mean_j) / sd_j`` over the selected
radiomic features, z-scored with the training mean and sd.

A model holding a DL score (section ``deep``) needs the network files its deep features came
from: it predicts only after :meth:`JsonModel.attach_networks` was given each listed network's
file with the same SHA-256 (or :meth:`JsonModel.attach_registered` found it registered and
unchanged); otherwise, and for a file with another hash, it refuses, naming the network and hash.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

import hashlib
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats as sps

from hccdash.columns import require_columns
from hccdash.registry import spec as spec_module
from hccdash.stats.splines import transformed_columns
from hccdash.stats.survfit import CoxBaseline, survfit_cox

RAD_SCORE = "rad_score"
DL_SCORE = "dl_score"


class JsonModel:
    """A fitted model rebuilt from a validated model file (see :mod:`hccdash.registry.spec`)."""

    def __init__(self, spec: dict[str, Any], *, validated: bool = False):
        if not validated:
            spec_module.validate(spec)
        self.spec = spec
        self._checked_networks: set[str] = set()

    # ---- description ---------------------------------------------------------
    @property
    def name(self) -> str:
        return self.spec["name"]

    @property
    def family(self) -> str:
        """'cox' or 'logistic'."""
        return self.spec["model"]["family"]

    @property
    def horizons(self) -> list[float]:
        """Prediction horizons in months (1/2/3 years by default)."""
        return list(self.spec["endpoint"]["horizons"])

    @cached_property
    def predictors(self) -> pd.DataFrame:
        """One row per input: name, label, kind, unit, levels, training min / max / mean, hard limits."""
        return pd.DataFrame(self.spec["predictors"]).set_index("name", drop=False)

    @cached_property
    def terms(self) -> pd.DataFrame:
        """One row per design term: name, predictor, type, level, cutoff, coef, mean, axis."""
        return pd.DataFrame(self.spec["model"]["terms"]).set_index("name", drop=False)

    @property
    def coef(self) -> pd.Series:
        return self.terms["coef"].astype(float)

    @property
    def rad_score_name(self) -> str | None:
        names = self.predictors.index[self.predictors["kind"] == "rad_score"]
        return str(names[0]) if len(names) else None

    @cached_property
    def features(self) -> pd.DataFrame:
        """The rad-score's radiomic features: name, coef, mean, sd, min, max (empty without one)."""
        rad = self.spec["radiomics"]
        columns = ["name", "coef", "mean", "sd", "min", "max"]
        if rad is None:
            return pd.DataFrame(columns=columns)
        return pd.DataFrame(rad["features"], columns=columns).set_index("name", drop=False)

    @property
    def extraction(self) -> dict[str, Any] | None:
        """The extraction spec (``ExtractionSpec.to_dict()``) the rad-score features came from."""
        rad = self.spec["radiomics"]
        return None if rad is None else rad["extraction"]

    # ---- rad-score -----------------------------------------------------------
    def rad_score(self, features: pd.DataFrame) -> pd.Series:
        """Rad-score per row of ``features`` (columns: the selected feature names)."""
        if self.spec["radiomics"] is None:
            raise ValueError(f"Model {self.name} has no rad-score")
        f = self.features
        values = require_columns(features, f.index, what="radiomic feature", table="The feature table",
                                 needed_by=f"the rad-score of model {self.name}")
        values = values.apply(pd.to_numeric, errors="coerce")
        bad = values.isna() | ~np.isfinite(values)
        if bad.to_numpy().any():
            row, column = next((r, c) for r in values.index for c in values.columns if bad.at[r, c])
            raise ValueError(f"Row {row}, column {column}: radiomic feature value is missing or not a number")
        z = (values.to_numpy(float) - f["mean"].to_numpy(float)) / f["sd"].to_numpy(float)
        score = self.spec["radiomics"]["intercept"] + z @ f["coef"].to_numpy(float)
        return pd.Series(score, index=features.index, name=self.rad_score_name or RAD_SCORE)

    def feature_z(self, features: pd.DataFrame) -> np.ndarray:
        """The selected features z-scored with the training mean and sd (n x k)."""
        f = self.features
        return (features[list(f.index)].to_numpy(float) - f["mean"].to_numpy(float)) / f["sd"].to_numpy(float)

    def mahalanobis(self, features: pd.DataFrame) -> np.ndarray:
        """Squared Mahalanobis distance of each row's z-scored features from the training centre."""
        z = self.feature_z(features)
        precision = np.linalg.pinv(np.asarray(self.spec["radiomics"]["correlation"], dtype=float))
        return np.einsum("ij,jk,ik->i", z, precision, z)

    # ---- DL score --------------------------------------------------------------
    @property
    def dl_score_name(self) -> str | None:
        names = self.predictors.index[self.predictors["kind"] == "dl_score"]
        return str(names[0]) if len(names) else None

    @property
    def networks(self) -> dict[str, str]:
        """Network name -> file SHA-256 the DL score needs (empty without one)."""
        return {n["name"]: n["sha256"] for n in self.spec.get("deep", {}).get("networks", [])}

    @cached_property
    def deep(self):
        """The DL score's parts (:class:`hccdash.registry.model_file.DeepPart`), None without one."""
        from hccdash.registry.model_file import DeepPart

        deep = self.spec.get("deep")
        return None if deep is None else DeepPart.from_dict(deep, self.dl_score_name or DL_SCORE)

    def attach_networks(self, files: Mapping[str, str | Path | bytes]) -> "JsonModel":
        """Check network files (name -> path or bytes) against the SHA-256 the model names; ValueError
        for an unknown name or a different file. Returns the model, now able to compute its DL score."""
        hashes = {}
        for name, file in files.items():
            data = file if isinstance(file, bytes) else Path(file).read_bytes()
            hashes[name] = hashlib.sha256(data).hexdigest()
        return self.accept_network_hashes(hashes)

    def attach_registered(self, store=None) -> "JsonModel":
        """Find each network the model needs among the registered ones (by SHA-256, the kept file
        checked unchanged: ``hccdash.deep.registered.get_network``); ValueError naming what is missing."""
        from hccdash.deep.registered import get_network

        for name, sha256 in self.networks.items():
            try:
                network = get_network(sha256, store)
            except ValueError as exc:
                raise ValueError(f"Model {self.name} needs the network '{name}' (ONNX file SHA-256 {sha256}): "
                                 f"{exc}") from None
            self.accept_network_hashes({name: network.sha256})
        return self

    def accept_network_hashes(self, hashes: Mapping[str, str]) -> "JsonModel":
        """Accept networks whose file SHA-256 is known (name -> hash): those of the file the model was
        made from, or of files hashed by :meth:`attach_networks`; a different hash is refused."""
        needed = self.networks
        for name, sha256 in hashes.items():
            if name not in needed:
                raise ValueError(f"Model {self.name} needs no network '{name}' (it needs {sorted(needed) or 'none'})")
            if sha256 != needed[name]:
                raise ValueError(f"The network file given for '{name}' has SHA-256 {sha256}, but model {self.name} "
                                 f"was made with the file of SHA-256 {needed[name]}: a different network (or a changed "
                                 "file) gives different deep features, so the model refuses it")
            self._checked_networks.add(name)
        return self

    def check_networks(self) -> None:
        """ValueError naming each network the model needs whose file was not checked."""
        missing = {n: h for n, h in self.networks.items() if n not in self._checked_networks}
        if missing:
            listed = ", ".join(f"'{n}' (ONNX file SHA-256 {h})" for n, h in missing.items())
            raise ValueError(f"Model {self.name} holds a DL score: it predicts only with the same network file(s) it "
                             f"was made with: {listed}. Register or give that file; a different file is refused")

    def dl_score(self, features: pd.DataFrame) -> pd.Series:
        """DL score per row of ``features`` (columns: the deep features); needs the networks checked."""
        if self.deep is None:
            raise ValueError(f"Model {self.name} has no DL score")
        self.check_networks()
        return self.deep.score(features)

    # ---- design and linear predictor -----------------------------------------
    def complete(self, data: pd.DataFrame) -> pd.DataFrame:
        """``data`` with the rad-score column added from radiomic features when it is absent, and the
        DL score from deep features (a model with a DL score refuses without its network files)."""
        added = {}
        name = self.rad_score_name
        if name is not None and name not in data.columns:
            added[name] = self.rad_score(data)
        deep = self.dl_score_name
        if deep is not None:
            self.check_networks()
            if deep not in data.columns:
                added[deep] = self.dl_score(data)
        return data.assign(**added) if added else data

    def design(self, data: pd.DataFrame) -> np.ndarray:
        """Design matrix (n x terms) of ``data`` (clean inputs; see ``calculator.check_inputs``)."""
        return design_matrix(self.spec["model"]["terms"], self.complete(data))

    def linear_predictor(self, data: pd.DataFrame) -> np.ndarray:
        """Cox: b'x, not centred (the pipeline's and the rad-score's convention; R's
        ``predict(coxph, type = "lp")`` is b'(x - c)); logistic: a + b'x (the logit)."""
        return (self.spec["model"]["intercept"] or 0.0) + self.design(data) @ self.coef.to_numpy()

    def contributions(self, data: pd.DataFrame) -> pd.DataFrame:
        """Each term's contribution b_j (x_j - training mean_j), one row per patient."""
        x = self.design(data)
        values = (x - self.terms["mean"].to_numpy(float)) * self.coef.to_numpy()
        return pd.DataFrame(values, index=data.index, columns=self.terms.index)

    # ---- predictions ---------------------------------------------------------
    def baseline(self) -> CoxBaseline:
        """The Cox baseline of the model file, centred at the terms' training means."""
        if self.family != "cox":
            raise ValueError(f"Model {self.name} is a logistic (ER) model: it has no baseline hazard")
        return CoxBaseline.from_dict(self.spec["baseline"], self.terms["mean"].to_numpy(float))

    def predict_survival(
        self, data: pd.DataFrame, times: Any, level: float | None = None
    ) -> np.ndarray | tuple[np.ndarray, np.ndarray, np.ndarray]:
        """S(t) (n x len(times)); with ``level``, the tuple (surv, lower, upper) of survfit's log CI
        (:func:`hccdash.stats.survfit.survfit_cox`, as ``CoxModel.predict_survival``)."""
        if self.family != "cox":
            raise ValueError(f"Model {self.name} is a logistic (ER) model: use predict_proba")
        cov = np.asarray(self.spec["model"]["covariance"], dtype=float)
        return survfit_cox(self.baseline(), self.design(data), self.coef.to_numpy(), cov, times, level)

    def predict_proba(
        self, data: pd.DataFrame, level: float | None = None
    ) -> np.ndarray | tuple[np.ndarray, np.ndarray, np.ndarray]:
        """ER probability (n,); with ``level`` the tuple (prob, lower, upper) on the logit scale."""
        if self.family != "logistic":
            raise ValueError(f"Model {self.name} is a Cox (RFS) model: use predict_survival")
        lp = self.linear_predictor(data)
        prob = _expit(lp)
        if level is None:
            return prob
        x = np.column_stack([np.ones(len(lp)), self.design(data)])
        se = np.sqrt(np.einsum("ip,pq,iq->i", x, np.asarray(self.spec["model"]["covariance"], float), x))
        z = sps.norm.ppf(0.5 + level / 2)
        return prob, _expit(lp - z * se), _expit(lp + z * se)

    def risk_group(self, data: pd.DataFrame) -> np.ndarray:
        """Risk-group label per row: score <= cut-off goes to the lower group (as maxstat)."""
        return self.group_of(self.linear_predictor(data))

    def group_of(self, lp: np.ndarray) -> np.ndarray:
        """Risk-group labels of linear-predictor values."""
        groups = self.spec["risk_groups"]
        position = np.searchsorted(np.asarray(groups["cutoffs"]), np.asarray(lp, float), side="left")
        return np.asarray(groups["labels"], dtype=object)[position]

    def predict_table(self, data: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
        """Per row: lp, risk group, and S(t) at each horizon (or the ER probability), with CI."""
        out = pd.DataFrame(index=data.index)
        out["lp"] = self.linear_predictor(data)
        out["risk_group"] = self.group_of(out["lp"].to_numpy())
        if self.family == "cox":
            surv, lower, upper = self.predict_survival(data, self.horizons, level=level)
            for j, h in enumerate(self.horizons):
                column = horizon_column(h)
                out[column], out[f"{column}_lower"], out[f"{column}_upper"] = surv[:, j], lower[:, j], upper[:, j]
        else:
            prob, lower, upper = self.predict_proba(data, level=level)
            out["er_prob"], out["er_prob_lower"], out["er_prob_upper"] = prob, lower, upper
        return out

    def survival_curve(self, data: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
        """Long frame (row, time, surv, lower, upper) of each row's whole curve over the baseline times."""
        times = np.concatenate([[0.0], np.asarray(self.spec["baseline"]["time"], float)])
        surv, lower, upper = self.predict_survival(data, times, level=level)
        return pd.DataFrame(
            {
                "row": np.repeat(np.asarray(data.index), len(times)),
                "time": np.tile(times, len(data)),
                "surv": surv.ravel(),
                "lower": lower.ravel(),
                "upper": upper.ravel(),
            }
        )

    def km_curves(self) -> pd.DataFrame:
        """The risk groups' training Kaplan-Meier curves, long (group, time, surv)."""
        frames = [
            pd.DataFrame({"group": km["label"], "time": km["time"], "surv": km["surv"]})
            for km in self.spec["risk_groups"]["km"]
        ]
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["group", "time", "surv"])


def design_matrix(terms: list[dict[str, Any]], data: pd.DataFrame) -> np.ndarray:
    """Model columns of ``terms`` for ``data``: x (linear), x == level (indicator),
    x > cutoff (above), x >= cutoff (at_least), log(x) (``"log": true``, NaN for x <= 0) and a
    column of rms::rcs's spline basis (spline: :func:`hccdash.stats.splines.transformed_columns`)."""
    columns = []
    for term in terms:
        if term["predictor"] not in data.columns:
            raise ValueError(f"Input column {term['predictor']} is missing")
        x = data[term["predictor"]]
        if term["type"] == "indicator":
            columns.append((x.astype(str) == term["level"]).to_numpy(float))
            continue
        values = pd.to_numeric(x, errors="raise").to_numpy(float)
        if term["type"] == "spline" or term.get("log"):
            knots = term["knots"] if term["type"] == "spline" else ()
            columns.append(transformed_columns(values, bool(term.get("log")), knots)[:, term.get("basis", 0)])
            continue
        if term["type"] == "above":
            values = (values > term["cutoff"]).astype(float)
        elif term["type"] == "at_least":
            values = (values >= term["cutoff"]).astype(float)
        columns.append(values)
    return np.column_stack(columns) if columns else np.zeros((len(data), 0))


def horizon_column(months: float) -> str:
    """Output column name of S(t) at a horizon, e.g. ``rfs_12m``."""
    return f"rfs_{months:g}m"


def _expit(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.asarray(x, dtype=float)))

"""By centre: every model's discrimination per centre side by side, and leave-one-centre-out
validation (the WHOLE pipeline refitted on the other centres' patients, evaluated on the
centre left out).

Per centre: Harrell's C with bootstrap CI (Cox) or AUC with DeLong CI (logistic) and, for
Cox models, the time-dependent AUC at the horizons where that centre keeps at least
``min_at_risk`` patients at risk (the horizon rule of :mod:`hccdash.evaluation.horizons`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from hccdash import stats
from hccdash.evaluation.data import split_data
from hccdash.evaluation.discrimination import discrimination_table
from hccdash.evaluation.horizons import check_horizons, offered
from hccdash.evaluation.predictions import MODELS, Prediction, predict, submodels
from hccdash.modeling.builder import ModelBuilder
from hccdash.modeling.endpoints import Endpoint
from hccdash.modeling.pipeline import RadiomicsNomogram, batch_column
from hccdash.settings import Settings


def _subset(p: Prediction, rows: np.ndarray) -> Prediction:
    return replace(p, ids=p.ids[rows], time=p.time[rows], event=p.event[rows],
                   y=None if p.y is None else p.y[rows], lp=p.lp[rows],
                   surv=None if p.surv is None else p.surv[rows], prob=None if p.prob is None else p.prob[rows])


def _estimable(p: Prediction) -> bool:
    return (p.event.sum() > 0 and len(p.lp) > 1) if p.survival else (0 < p.y.sum() < len(p.y))


def metrics_by_centre(predictions: Mapping[tuple[str, str], Prediction], centres: pd.Series,
                      settings: Settings, horizons: Sequence[float]) -> pd.DataFrame:
    """One row per model, split and centre: n, events, C / AUC with CI, AUC(t) columns."""
    ev = settings.evaluation
    rows = []
    for (m, s), p in predictions.items():
        centre = centres.reindex(p.ids).to_numpy()
        for name in pd.unique(centre[pd.notna(centre)]):
            part = _subset(p, centre == name)
            if not _estimable(part):
                rows.append({"model": m, "split": s, "centre": name, "n": len(part.lp),
                             "note": "no events (or a single class): not estimable"})
                continue
            row = discrimination_table({(m, s): part}, ev).iloc[0].to_dict()
            row["centre"] = name
            if part.survival:
                usable = offered(check_horizons({name: part.time}, horizons, ev.min_at_risk))
                for h, auc in zip(usable, stats.time_dependent_auc(part.time, part.event, part.lp, usable)):
                    row[f"AUC {h:g} months"] = auc
            rows.append(row)
    frame = pd.DataFrame(rows)
    first = ["model", "split", "centre"]
    return frame[first + [c for c in frame.columns if c not in first]] if len(frame) else frame


@dataclass(frozen=True)
class CentreFold:
    """One leave-one-centre-out fold: the patients fitted on and those evaluated."""

    centre: str
    fitted_ids: pd.Index
    evaluated_ids: pd.Index


def leave_one_centre_out(builder: ModelBuilder, settings: Settings, clinical_vars: Sequence[str],
                         centres: pd.Series,
                         progress: Callable[[int, int], None] | None = None) -> tuple[pd.DataFrame, list[CentreFold]]:
    """For each centre: refit the whole pipeline (filters, LASSO, clinical and combined
    models; ICC on the fitted patients' repeat segmentations) on every patient of the OTHER
    centres (training and validation alike), then evaluate on the centre left out.
    Returns (metrics per centre and model, the folds): every model has a row per centre, one
    not fitted on a fold (e.g. no clinical variable kept) with its ``note`` saying why."""
    endpoint = Endpoint.from_settings(settings.model)
    outcome = builder.data(endpoint)[0]
    known = centres.reindex(outcome.index)
    names = list(pd.unique(known.dropna()))
    if len(names) < 2:
        raise ValueError(f"leave-one-centre-out needs at least two centres, found {names}")
    rows, folds = [], []
    for k, name in enumerate(names):
        fitted = outcome.index[(known != name).to_numpy() & known.notna().to_numpy()]
        held = outcome.index[(known == name).to_numpy()]
        folds.append(CentreFold(str(name), fitted, held))
        icc = None if settings.selection.icc_threshold is None else builder.icc(settings.selection.icc_kind, fitted)
        batch = batch_column(settings)
        fit_split = split_data(builder, "train", fitted, endpoint, clinical_vars, None, batch)
        held_split = split_data(builder, "left out", held, endpoint, clinical_vars, None, batch)
        try:
            model = RadiomicsNomogram(settings, tuple(clinical_vars), icc=icc).fit(fit_split.frame, fit_split.y)
            subs, left_out = submodels(model, fit_split)
            rows += [{"centre": name, "model": m, "n_fitted": len(fitted), "note": note} for m, note in left_out.items()]
            for sub in subs.values():
                p = predict(sub, held_split, ())
                base = {"centre": name, "model": sub.name, "n_fitted": len(fitted)}
                if _estimable(p):
                    table = discrimination_table({(sub.name, "left out"): p}, settings.evaluation)
                    rows.append({**base, **table.iloc[0].drop(["model", "split"]).to_dict()})
                else:
                    rows.append({**base, "n": len(p.lp), "note": "no events (or a single class): not estimable"})
        except ValueError as exc:
            rows.append({"centre": name, "model": "all", "n_fitted": len(fitted), "note": f"fit failed: {exc}"})
        if progress is not None:
            progress(k + 1, len(names))
    order = {m: i for i, m in enumerate(MODELS)}
    table = pd.DataFrame(rows)
    table = table.sort_values("model", key=lambda m: m.map(order).fillna(len(order)), kind="stable")
    table = table.sort_values("centre", key=lambda c: c.map({n: i for i, n in enumerate(names)}), kind="stable")
    return table.reset_index(drop=True), folds

"""The three models compared pairwise on the same patients of each set (clinical vs radiomics vs
combined): the difference of two correlated C-indices (Cox; :func:`hccdash.stats.c_difference_test`,
``survival::concordance(fit_a, fit_b)``) and the category-free NRI / IDI of the later model over
the earlier (:func:`hccdash.stats.reclassification`, ``Hmisc::improveProb``; Cox: on the risk
1 - S(H) at each offered horizon among the patients whose status at H is known,
:func:`hccdash.stats.reclassification_at`). The AUCs of logistic models are compared by DeLong
(:func:`hccdash.evaluation.discrimination.delong_comparisons`)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

import pandas as pd

from hccdash import stats
from hccdash.evaluation.predictions import MODELS, Prediction

Predictions = Mapping[tuple[str, str], Prediction]
C_COLUMNS = ["split", "model_a", "model_b", "n", "c_a", "c_b", "difference", "se", "z", "p", "lower", "upper"]
NRI_COLUMNS = ["split", "model_a", "model_b", "horizon", "n", "excluded", "nri", "nri_se", "nri_p", "nri_events",
               "nri_nonevents", "idi", "idi_se", "idi_p"]


def _pairs(predictions: Predictions) -> Iterator[tuple[str, Prediction, Prediction, pd.Index]]:
    """(split, A, B, the patients both predict): A the later of the two in clinical, radiomics,
    combined order (the model that adds information), training first."""
    splits = sorted({s for _, s in predictions}, key=lambda s: s != "train")
    models = [m for m in MODELS if any(mm == m for mm, _ in predictions)]
    for split in splits:
        for j, ma in enumerate(models):
            for mb in models[:j]:
                a, b = predictions.get((ma, split)), predictions.get((mb, split))
                if a is not None and b is not None:
                    yield split, a, b, a.ids.intersection(b.ids, sort=False)


def c_differences(predictions: Predictions, level: float = 0.95) -> pd.DataFrame:
    """Per set and pair of Cox models: C_a, C_b, their difference with its infinitesimal-jackknife
    SE, z, two-sided p and CI at ``level`` (common patients)."""
    rows = []
    for split, a, b, common in _pairs(predictions):
        if not a.survival:
            continue
        ia, ib = a.ids.get_indexer(common), b.ids.get_indexer(common)
        test = stats.c_difference_test(a.time[ia], a.event[ia], a.lp[ia], b.lp[ib], level)
        rows.append({"split": split, "model_a": a.model, "model_b": b.model, "n": common.size, **{
            k: v for k, v in test.to_dict().items() if k != "level"}})
    return pd.DataFrame(rows, columns=C_COLUMNS)


def reclassification_table(predictions: Predictions, horizons: Sequence[float]) -> pd.DataFrame:
    """Per set and pair: NRI (events, non-events, total) and IDI of A over B; Cox models at each
    of ``horizons`` (``horizon`` NaN for logistic models). Where it is undefined (fewer than two
    events or non-events with known status) the row has n and empty statistics."""
    rows = []
    for split, a, b, common in _pairs(predictions):
        ia, ib = a.ids.get_indexer(common), b.ids.get_indexer(common)
        for h in horizons if a.survival else [float("nan")]:
            row = {"split": split, "model_a": a.model, "model_b": b.model, "horizon": h, "n": common.size}
            try:
                if a.survival:
                    r = stats.reclassification_at(a.time[ia], a.event[ia], b.event_probability(h)[ib],
                                                  a.event_probability(h)[ia], h)
                else:
                    r = stats.reclassification(a.y[ia], b.prob[ib], a.prob[ia])
            except ValueError:  # too few events or non-events at this horizon (or no prediction): left empty
                rows.append(row)
                continue
            rows.append({**row, **{k: v for k, v in r.to_dict().items() if k in NRI_COLUMNS}})
    return pd.DataFrame(rows, columns=NRI_COLUMNS)

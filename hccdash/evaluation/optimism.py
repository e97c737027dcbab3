"""Optimism-corrected discrimination by the bootstrap, as ``rms::validate(method = "boot")``.

For resample b (patients drawn with replacement from the training rows, seeded), the
WHOLE pipeline (filters, LASSO with its cross-validation, clinical selection, combined
model) is refitted on the resample; its C-index (AUC for ER) is measured on the resample
(C_boot) and on the original training rows (C_orig). Then

    optimism = mean_b (C_boot,b - C_orig,b),    corrected = apparent - optimism,

with ``apparent`` the C of the pipeline fitted on all training rows, measured on them.
Resamples whose fit fails (e.g. no feature survives, a constant column) are counted and
left out. Resamples run in parallel with joblib (loky processes), or on a Dask cluster
through joblib's ``dask`` backend when a scheduler address is given.

As a background job (kind ``"validation"``), :func:`start` records the job and
:func:`run` rebuilds the inputs and reports progress to the ``jobs`` table.
"""

from __future__ import annotations

from typing import Any

import time as clock
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from joblib import Parallel, delayed, parallel_config

from hccdash.jobs import JobContext, register_job_kind, start_job
from hccdash.modeling import regression
from hccdash.modeling.builder import ModelBuilder, deep_set_from_key, deep_set_key, load_model_inputs
from hccdash.modeling.endpoints import Endpoint
from hccdash.modeling.pipeline import RadiomicsNomogram, batch_column
from hccdash.settings import Settings
from hccdash.workers import process_pool

KIND = "validation"
Fitter = Callable[[pd.DataFrame, np.ndarray], object]
Scorer = Callable[[object, pd.DataFrame, np.ndarray], dict[str, float]]


class PipelineFitter:
    """Picklable ``fit(X, y)`` of a fresh :class:`RadiomicsNomogram` with fixed settings."""

    def __init__(self, settings: Settings, clinical_vars: Sequence[str], icc: pd.Series | None = None):
        self.settings = settings
        self.clinical_vars = tuple(clinical_vars)
        self.icc = icc

    def __call__(self, X: pd.DataFrame, y) -> RadiomicsNomogram:
        return RadiomicsNomogram(self.settings, self.clinical_vars, icc=self.icc).fit(X, y)


def pipeline_scores(model: RadiomicsNomogram, X: pd.DataFrame, y) -> dict[str, float]:
    """Harrell's C (Cox) or AUC (logistic) of the radiomics, clinical and combined scores."""
    scores = model.scores(X)
    return {name: regression.concordance(y, scores[name].to_numpy()) for name in scores.columns}


def resample_indices(n: int, n_boot: int, seed: int) -> list[np.ndarray]:
    """Row positions of each bootstrap resample (numpy ``default_rng(seed)``, drawn up front
    so the result does not depend on the order in which workers finish)."""
    rng = np.random.default_rng(seed)
    return [rng.integers(0, n, n) for _ in range(n_boot)]


def _resample_frame(X: pd.DataFrame, rows: np.ndarray) -> pd.DataFrame:
    """Resampled rows with unique ids (a patient drawn twice gets ``id~1``)."""
    frame = X.iloc[rows]
    copies = pd.Series(frame.index).groupby(frame.index).cumcount().to_numpy()
    frame.index = pd.Index([f"{i}~{c}" if c else str(i) for i, c in zip(frame.index, copies)], name=X.index.name)
    return frame


def _one_resample(fit: Fitter, score: Scorer, X: pd.DataFrame, y, rows: np.ndarray, b: int):
    """(b, C on the resample, C on the original rows) or (b, error message, None)."""
    try:
        Xb, yb = _resample_frame(X, rows), np.asarray(y)[rows]
        model = fit(Xb, yb)
        return b, score(model, Xb, yb), score(model, X, y)
    except Exception as exc:  # a failed refit is reported, not fatal: see the module docstring
        return b, f"{type(exc).__name__}: {exc}", None


@dataclass(frozen=True)
class OptimismResult:
    """``table``: model, metric (C-index / AUC), apparent, optimism, corrected, resamples
    used (models whose apparent value is undefined, e.g. no clinical model, are left out);
    ``resamples``: per resample and model C_boot, C_orig; failures (resample, message); timing."""

    table: pd.DataFrame
    resamples: pd.DataFrame
    failures: list[tuple[int, str]]
    n_boot: int
    seed: int
    seconds: float

    def to_json(self) -> dict:
        return {"table": self.table.to_dict("records"), "n_boot": self.n_boot, "seed": self.seed,
                "seconds": self.seconds, "n_failed": len(self.failures),
                "failures": [list(f) for f in self.failures[:20]]}

    @classmethod
    def from_json(cls, data: dict) -> "OptimismResult":
        table = pd.DataFrame(data["table"])
        if "model" not in table:  # results stored before the table had a model column held model names in "metric"
            table = table.rename(columns={"metric": "model"})
        return cls(table, pd.DataFrame(), [tuple(f) for f in data.get("failures", [])],
                   int(data["n_boot"]), int(data["seed"]), float(data["seconds"]))


def optimism_bootstrap(fit: Fitter, score: Scorer, X: pd.DataFrame, y, n_boot: int, seed: int,
                       n_jobs: int = 1, scheduler: str | None = None,
                       progress: Callable[[int, int, int], None] | None = None,
                       metric: str = "C-index") -> OptimismResult:
    """Bootstrap optimism of every model's ``metric`` (its name, e.g. "C-index" or "AUC")
    that ``score`` returns (module docstring). ``progress`` gets (finished, failed, total)
    after each resample; raising in it stops the run."""
    if n_boot < 1:
        raise ValueError(f"n_boot must be at least 1, got {n_boot}")
    started = clock.perf_counter()
    apparent = score(fit(X, y), X, y)
    tasks = (delayed(_one_resample)(fit, score, X, y, rows, b)
             for b, rows in enumerate(resample_indices(len(X), n_boot, seed)))
    records, failures = [], []

    def collect(results) -> None:
        for done, (b, boot, original) in enumerate(results, start=1):
            if original is None:
                failures.append((b, boot))
            else:
                records.extend({"resample": b, "model": k, "boot": boot[k], "original": original[k]} for k in boot)
            if progress is not None:
                progress(done, len(failures), n_boot)

    if scheduler:
        from distributed import Client

        with Client(scheduler) as client, parallel_config(backend="dask", client=client):
            collect(Parallel(n_jobs=-1, return_as="generator_unordered", batch_size=1)(tasks))
    elif n_jobs == 1:
        collect(_one_resample(fit, score, X, y, rows, b)
                for b, rows in enumerate(resample_indices(len(X), n_boot, seed)))
    else:
        collect(process_pool(n_jobs, return_as="generator_unordered", batch_size=1)(tasks))
    resamples = pd.DataFrame(records, columns=["resample", "model", "boot", "original"]).sort_values(
        ["resample", "model"], ignore_index=True)
    resamples["optimism"] = resamples["boot"] - resamples["original"]
    rows = []
    for model, value in apparent.items():
        if not np.isfinite(value):  # e.g. no clinical model: nothing to correct
            continue
        values = resamples.loc[resamples["model"] == model, "optimism"].dropna()
        optimism = float(values.mean()) if len(values) else float("nan")
        rows.append({"model": model, "metric": metric, "apparent": value, "optimism": optimism, "corrected": value - optimism,
                     "resamples": len(values)})
    return OptimismResult(pd.DataFrame(rows), resamples, sorted(failures), n_boot, seed,
                          clock.perf_counter() - started)


def training_data(builder: ModelBuilder, settings: Settings, clinical_vars: Sequence[str]):
    """(X, y, icc) of the training split for ``settings``' endpoint."""
    outcome, train, _, _ = builder.data(Endpoint.from_settings(settings.model), settings.split)
    icc = None if settings.selection.icc_threshold is None else builder.icc(settings.selection.icc_kind, train)
    return builder.frame(train, clinical_vars, batch_column(settings)), builder.target(outcome, train), icc


def validate_pipeline(builder: ModelBuilder, settings: Settings, clinical_vars: Sequence[str],
                      n_boot: int | None = None,
                      progress: Callable[[int, int, int], None] | None = None) -> OptimismResult:
    """Optimism-corrected C of the pipeline with ``settings`` on the builder's training split
    (resamples, seed, workers and Dask scheduler from ``settings.evaluation``)."""
    ev = settings.evaluation
    X, y, icc = training_data(builder, settings, clinical_vars)
    return optimism_bootstrap(PipelineFitter(settings, clinical_vars, icc), pipeline_scores, X, y,
                              ev.optimism_resamples if n_boot is None else n_boot, ev.seed, ev.n_jobs,
                              ev.dask_scheduler, progress, "C-index" if settings.model.endpoint == "rfs" else "AUC")


class ValidationCancelled(RuntimeError):
    """The user cancelled the job."""


def run(context: JobContext) -> dict:
    """Job runner: load the cohort's inputs, then bootstrap with progress."""
    spec = context.spec
    settings = Settings.from_dict(spec["settings"])
    builder = ModelBuilder(load_model_inputs(spec["cohort"], settings, spec.get("source"),
                                             deep=deep_set_from_key(spec["cohort"], spec.get("deep"))))
    n_boot = int(spec.get("n_boot") or settings.evaluation.optimism_resamples)
    context.progress(n_total=n_boot, n_done=0, message="fitting the apparent model")

    def report(done: int, failed: int, total: int) -> None:
        if context.cancel_requested():
            raise ValidationCancelled("cancelled by the user")
        context.progress(n_done=done - failed, n_failed=failed, message=f"{done} of {total} resamples")

    try:
        result = validate_pipeline(builder, settings, spec.get("clinical_vars") or (), n_boot, report)
    except ValidationCancelled:
        return {"cancelled": True}
    return result.to_json()


def start(cohort: str, source: str | None, settings: Settings, clinical_vars: Sequence[str],
          n_boot: int, deep: Any = None) -> str:
    """Start the background validation of a cohort's pipeline (with the deep feature set ``deep``
    joined, :func:`hccdash.modeling.builder.load_model_inputs`); returns the job id."""
    spec = {"cohort": cohort, "source": source, "settings": settings.to_dict(),
            "clinical_vars": list(clinical_vars), "n_boot": int(n_boot), "deep": deep_set_key(deep)}
    return start_job(KIND, spec, cohort=cohort)


register_job_kind(KIND, run)

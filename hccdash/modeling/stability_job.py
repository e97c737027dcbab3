"""Selection stability as a background job (kind ``"selection_stability"``).

The job refits the model's radiomics signature on bootstrap resamples of the training
rows (:func:`hccdash.selection.stability.selection_stability`) with every filter as
set and the LASSO fixed at the lambda the full training data chose (no CV inside the
resamples), reporting progress to the store; its result is ``{"stability": {feature:
share of resamples selecting it}}``. Offered for the single signature (fusion "lasso");
per-phase fusion has one lambda per phase and is not resampled.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence

import pandas as pd

from hccdash.jobs import JobContext, register_job_kind, start_job
from hccdash.modeling.builder import BuildResult, ModelBuilder, load_model_inputs
from hccdash.modeling.pipeline import batch_column
from hccdash.modeling.signature import RadiomicsSignature
from hccdash.selection.stability import selection_stability
from hccdash.settings import Settings

KIND = "selection_stability"


class StabilityCancelled(RuntimeError):
    """The user cancelled the job."""


def stability_estimator(result: BuildResult) -> RadiomicsSignature:
    """An unfitted copy of the result's signature with the LASSO fixed at its chosen lambda."""
    signature = result.model.radiomics_
    if not isinstance(signature, RadiomicsSignature):
        raise ValueError("Selection stability is offered for one signature over all phases (fusion 'lasso'), "
                         "not for per-phase fusion")
    if signature.lasso_ is None:
        raise ValueError("No feature reaches the LASSO: there is nothing to resample")
    selection = dataclasses.replace(signature.selection, lasso_folds=None,
                                    lasso_lambda=float(signature.lasso_.lambda_value_))
    return RadiomicsSignature(selection, signature.icc, signature.readers)


def result_stability(builder: ModelBuilder, result: BuildResult, n_resamples: int,
                     progress: Callable[[int, int], None] | None = None) -> pd.Series:
    """Selection frequency of each feature entering the signature, for a build result (with ComBat
    on, of the features as the fitted model harmonises them; ComBat is not refitted per resample)."""
    outcome, train, _, _ = builder.data(result.endpoint, result.settings.split)
    frame = builder.frame(train, (), batch_column(result.settings))
    X = result.model.harmonised(frame)[list(result.model.feature_names_in_)]
    return selection_stability(stability_estimator(result), X, builder.target(outcome, train), n_resamples,
                               result.settings.selection.seed, progress)


def run(context: JobContext) -> dict:
    """Job runner: rebuild the model from the spec, then resample with progress."""
    settings = Settings.from_dict(context.spec["settings"])
    builder = ModelBuilder(load_model_inputs(context.spec["cohort"], settings, source=context.spec.get("source")))
    result = builder.build(settings, context.spec.get("clinical_vars"))
    n = int(context.spec.get("n_resamples", settings.selection.stability_resamples))
    context.progress(n_total=n, n_done=0, message="resampling the selection")

    def report(done: int, total: int) -> None:
        if context.cancel_requested():
            raise StabilityCancelled("cancelled by the user")
        context.progress(n_done=done, message=f"{done} of {total} resamples")

    try:
        frequency = result_stability(builder, result, n, report)
    except StabilityCancelled:
        return {"cancelled": True}
    return {"stability": {k: float(v) for k, v in frequency.items() if v > 0}, "n_resamples": n}


def start(cohort: str, settings: Settings, clinical_vars: Sequence[str] | None, n_resamples: int,
          source: str | None = None) -> str:
    """Start the job for a cohort (features: extracted, or the imported table ``source``) and
    settings; returns the job id."""
    spec = {"cohort": cohort, "source": source, "settings": settings.to_dict(), "n_resamples": int(n_resamples),
            "clinical_vars": None if clinical_vars is None else list(clinical_vars)}
    return start_job(KIND, spec, cohort=cohort)


register_job_kind(KIND, run)

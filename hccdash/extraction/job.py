"""The ``extraction`` background job: extract a stored cohort's images (see :mod:`hccdash.jobs`).

The job spec holds the extraction spec (pyradiomics parameters and preprocessing),
the mask label (None: each image's label from import; N: label N of every mask), worker count, Dask scheduler address, whether to retry failed cases, and optionally
the case keys to limit the run to (the page's Retry action). Rerunning the job after
its process died recomputes nothing already stored. Another kind of features (deep features,
job kind ``deep_extraction`` in :mod:`hccdash.deep.job`) starts and runs its jobs with
:func:`start_extraction` (``kind=``) and :func:`run_spec_job` and its own spec.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from hccdash import jobs
from hccdash.extraction.engine import cases_from_images, run_extraction
from hccdash.extraction.matrices import cohort_images
from hccdash.extraction.params import ExtractionSpec
from hccdash.store import Store

KIND = "extraction"


def start_extraction(
    cohort: str,
    spec: ExtractionSpec | Any,
    *,
    n_jobs: int | None = None,
    scheduler: str | None = None,
    retry_failed: bool = False,
    case_keys: Sequence[str] | None = None,
    label: int | None = None,
    store: Store | None = None,
    kind: str = KIND,
) -> str:
    """Start extracting ``cohort`` (all readers and phases; mask ``label``, None: as imported) in a
    background process; returns the job id. A cohort without images is refused here (ValueError
    saying what to do), before any job is recorded. ``spec`` is any spec the engine takes
    (``settings_hash``, ``to_dict``), run by the job ``kind``."""
    if label is not None and int(label) < 1:
        raise ValueError(f"A mask label is a whole number above 0, got {label}")
    if n_jobs is not None and n_jobs < 1:
        raise ValueError(f"Worker count must be at least 1, got {n_jobs}")
    if scheduler and not scheduler.startswith(("tcp://", "tls://", "inproc://", "ucx://")):
        raise ValueError(f"Dask scheduler address {scheduler!r} must look like tcp://host:port")
    if cohort_images(cohort, store=store).empty:
        raise ValueError(f"Cohort '{cohort}' has no images to extract: add an image manifest on Cohort import, or "
                         "import a feature table. Its clinical models need no features.")
    job_spec = {
        "extraction": spec.to_dict(),
        "n_jobs": n_jobs,
        "scheduler": scheduler or None,
        "retry_failed": retry_failed,
        "case_keys": list(case_keys) if case_keys is not None else None,
        "label": None if label is None else int(label),
    }
    return jobs.start_job(kind, job_spec, cohort=cohort, store=store)


def run_extraction_job(context: jobs.JobContext) -> dict[str, Any]:
    """Runner of the ``extraction`` kind."""
    return run_spec_job(context, ExtractionSpec.from_dict(context.spec["extraction"]))


def run_spec_job(context: jobs.JobContext, spec: Any) -> dict[str, Any]:
    """Run an extraction job's cases under ``spec`` (read from the job's spec by its kind's runner)."""
    images = cohort_images(context.cohort, label=context.spec.get("label"), store=context.store)
    if images.empty:
        raise ValueError(f"Cohort {context.cohort!r} has no images to extract")
    cases = cases_from_images(images, spec)
    wanted = context.spec.get("case_keys")
    if wanted is not None:
        cases = [c for c in cases if c.case_key in set(wanted)]
    summary = run_extraction(
        cases,
        spec,
        store=context.store,
        n_jobs=context.spec.get("n_jobs"),
        scheduler=context.spec.get("scheduler"),
        retry_failed=bool(context.spec.get("retry_failed")),
        on_progress=lambda total, done, failed: context.progress(total, done, failed),
        should_stop=context.cancel_requested,
    )
    return asdict(summary)


jobs.register_job_kind(KIND, run_extraction_job)

"""The ``deep_extraction`` background job: a cohort's deep features, as the ``extraction`` job runs radiomics.

Started with :func:`start_deep_extraction` (the options of
:func:`hccdash.extraction.job.start_extraction`); the network file's SHA-256 is checked when the
job is started and again when its process starts, so a file changed in between is refused
before any case runs (the job fails with :class:`~hccdash.deep.network.NetworkError`'s message).
"""

from __future__ import annotations

from typing import Any

from hccdash import jobs
from hccdash.deep.registered import verify_file
from hccdash.deep.spec import DeepSpec
from hccdash.extraction.job import run_spec_job, start_extraction

KIND = "deep_extraction"


def start_deep_extraction(cohort: str, spec: DeepSpec, **options: Any) -> str:
    """Start extracting ``cohort``'s deep features under ``spec`` in a background process; returns the job id.
    ``options``: those of :func:`~hccdash.extraction.job.start_extraction` (n_jobs, retry_failed, case_keys, label, ...)."""
    verify_file(spec.network)
    return start_extraction(cohort, spec, kind=KIND, **options)


def run_deep_extraction_job(context: jobs.JobContext) -> dict[str, Any]:
    """Runner of the ``deep_extraction`` kind."""
    spec = DeepSpec.from_dict(context.spec["extraction"])
    verify_file(spec.network)
    return run_spec_job(context, spec)


jobs.register_job_kind(KIND, run_deep_extraction_job)

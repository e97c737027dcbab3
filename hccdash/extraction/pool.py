"""Cases on the loky pool, one image's cases per task, surviving a worker the system kills (out of memory).

When the kernel's out-of-memory killer ends a worker, loky ends every worker and the run
gets ``TerminatedWorkerError`` without saying which case did it; uncaught, it ended the
whole run, and as that case was never recorded, every rerun died on it again. So each
task (the cases of one image, :func:`hccdash.extraction.case.extract_cases`), as its
worker starts it, leaves a marker file per case (named by its case key) in a folder of
this run, removed when the task returns. After a break the markers name the cases that
were in flight: each is run again alone, in a new worker. One that kills its worker again
is returned ``failed`` with the reason (so it is stored and skipped by later runs unless
failed cases are retried); the others, and every case not yet started, go on in a new pool.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

from joblib import delayed
from joblib.externals.loky.process_executor import TerminatedWorkerError

from hccdash.extraction.case import Case, CaseResult, extract_cases, image_groups
from hccdash.extraction.params import ExtractionSpec
from hccdash.paths import RUNNING_PREFIX
from hccdash.workers import process_pool

def running_folder() -> tempfile.TemporaryDirectory:
    """A new folder for the markers of one run, in the system's temporary folder (removed at the
    end; after a kill, by :func:`hccdash.leftovers.clean`)."""
    return tempfile.TemporaryDirectory(prefix=f"{RUNNING_PREFIX}{os.getpid()}-")


def tracked_cases(cases: list[Case], spec: ExtractionSpec, running: str) -> list[CaseResult]:
    """:func:`extract_cases` in a worker, with a marker per case in ``running`` while they run."""
    markers = [Path(running) / case.case_key for case in cases]
    for marker in markers:
        marker.write_text(str(os.getpid()))
    try:
        return extract_cases(cases, spec)
    finally:
        for marker in markers:
            marker.unlink(missing_ok=True)


def pool_results(cases: Sequence[Case], spec: ExtractionSpec, n_jobs: int) -> Iterator[CaseResult]:
    """Results of ``cases`` on the loky pool in completion order; a case whose worker the system
    killed twice (the second time alone) comes back failed, and the run goes on."""
    pending = {case.case_key: case for case in cases}
    with running_folder() as running:
        breaks_without_progress = 0
        while pending:
            tasks = (delayed(tracked_cases)(group, spec, running) for group in image_groups(list(pending.values())))
            try:
                for results in process_pool(n_jobs, return_as="generator_unordered", batch_size=1)(tasks):
                    for result in results:
                        pending.pop(result.case_key, None)
                        yield result
                    breaks_without_progress = 0
            except TerminatedWorkerError as exc:
                in_flight = [pending[key] for key in _take_markers(running) if key in pending]
                breaks_without_progress += not in_flight
                if breaks_without_progress > 1:  # no case to blame, twice in a row: not a case's doing
                    raise
                for case in in_flight:
                    result = _alone(case, spec, running, n_jobs)
                    pending.pop(case.case_key, None)
                    yield result


def _take_markers(running: str) -> list[str]:
    """The case keys with a marker in ``running``, markers removed."""
    keys = []
    for marker in Path(running).iterdir():
        keys.append(marker.name)
        marker.unlink(missing_ok=True)
    return keys


def _alone(case: Case, spec: ExtractionSpec, running: str, n_jobs: int) -> CaseResult:
    """``case`` run again by itself in a new worker; failed with the reason if the system kills it again."""
    try:
        task = delayed(tracked_cases)([case], spec, running)
        return next(iter(process_pool(n_jobs, return_as="generator_unordered")([task])))[0]
    except TerminatedWorkerError as exc:
        _take_markers(running)
        return killed_case(case, spec, exc)


def killed_case(case: Case, spec: ExtractionSpec, exc: BaseException) -> CaseResult:
    """The ``failed`` result of a case whose worker the system ended, the second time while it ran alone."""
    codes = re.search(r"exit codes of the workers are \{([^}]*)\}", str(exc))
    how = f" (exit {codes.group(1)})" if codes else ""
    return CaseResult.of(
        case, spec, "failed",
        f"The worker process extracting the image {case.image_path} with the mask {case.mask_path} was ended by "
        f"the system{how}, twice, the second time while it ran alone: most likely out of memory. Use a coarser "
        "resampledPixelSpacing or fewer image types, or a machine with more memory, then retry the failed cases.",
    )

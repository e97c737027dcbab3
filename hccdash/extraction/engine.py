"""Running many cases: skip what is cached, run the rest in parallel, store results in batches.

Parallelism is one image per task (pyradiomics #709 parallelises nothing inside a case):
the cases drawn on one image (readers' masks, labels) go to one worker, which reads the
image once (:func:`hccdash.extraction.case.extract_cases`); joblib's loky processes on this
machine, or a Dask cluster through joblib's ``dask`` backend when a scheduler address
is given. Results come back as they complete (``return_as="generator_unordered"``);
only the calling process writes them: per-case files first, then the store in one
transaction per batch (see :mod:`hccdash.extraction.ingest`). As results arrive the run
checks ``should_stop`` (at most every ``STOP_CHECK_SECONDS``) and stops cleanly: the
results received so far are stored, pending tasks are dropped.
"""

from __future__ import annotations

from pathlib import Path

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import pandas as pd
import SimpleITK as sitk
from joblib import Parallel, delayed, parallel_config

from hccdash.extraction import cache, ingest
from hccdash.extraction.case import Case, CaseResult, extract_cases, image_groups
from hccdash.extraction.params import ExtractionSpec
from hccdash.extraction.pool import pool_results
from hccdash.store import Store

BATCH_SIZE = 25  # results per store transaction
BATCH_SECONDS = 2.0  # ... or fewer, if this long has passed since the last write
CHECKPOINT_AFTER = 200  # cases stored in one run before a CHECKPOINT
STOP_CHECK_SECONDS = 0.5  # least time between two should_stop() calls


@dataclass(frozen=True)
class RunSummary:
    """What one run did: cases in total, found cached, recovered from files, computed, failed."""

    n_total: int
    n_cached: int
    n_recovered: int
    n_computed: int
    n_failed: int
    cancelled: bool
    seconds: float


ProgressCallback = Callable[[int, int, int], None]  # (n_total, n_done, n_failed)


def with_case_keys(images: pd.DataFrame, settings_hash: str) -> pd.DataFrame:
    """``images`` (label, image_sha256, mask_sha256, ...) plus the ``case_key`` under ``settings_hash``."""
    versions = cache.versions()
    out = images.copy()
    out["case_key"] = [
        cache.case_key(i, m, label, settings_hash, versions)
        for i, m, label in zip(out["image_sha256"], out["mask_sha256"], out["label"])
    ]
    return out


def cases_from_images(images: pd.DataFrame, spec: ExtractionSpec) -> list[Case]:
    """One :class:`Case` per distinct case key among the rows of ``images``."""
    keyed = with_case_keys(images, spec.settings_hash).drop_duplicates("case_key")
    return [
        Case(row.case_key, str(row.image_path), str(row.mask_path), int(row.label), row.image_sha256, row.mask_sha256)
        for row in keyed.itertuples(index=False)
    ]


def iter_results(
    cases: Sequence[Case], spec: ExtractionSpec, *, n_jobs: int | None = None, scheduler: str | None = None
) -> Iterator[CaseResult]:
    """Results of ``cases`` in completion order: in-process (``n_jobs=1``), loky, or Dask.

    A task is the cases of one image (:func:`image_groups`): its worker reads the image once.
    On loky (even a single image: a worker the system kills does not take this process with
    it) a case whose worker is killed twice comes back failed (:mod:`hccdash.extraction.pool`).
    """
    if not cases:
        return
    if scheduler:
        from distributed import Client

        tasks = (delayed(extract_cases)(group, spec) for group in image_groups(cases))
        with Client(scheduler) as client, parallel_config(backend="dask", client=client):
            for results in Parallel(n_jobs=-1, return_as="generator_unordered", batch_size=1,
                                    pre_dispatch="all")(tasks):
                yield from results
    elif n_jobs == 1:
        threads = sitk.ProcessObject_GetGlobalDefaultNumberOfThreads()
        try:
            for group in image_groups(cases):
                yield from extract_cases(group, spec)  # sets SimpleITK to one thread ...
        finally:
            sitk.ProcessObject_SetGlobalDefaultNumberOfThreads(threads)  # ... which this process gets back
    else:
        yield from pool_results(cases, spec, n_jobs or -1)


def expected_cost(case: Case) -> int:
    """A case's expected extraction time, in bytes of its image and mask files: pyradiomics'
    cost grows with the tumour, and so do the (cropped, compressed) files. Used to hand
    out the longest cases first (LPT scheduling); a file that cannot be read counts 0."""
    total = 0
    for path in (Path(case.image_path), Path(case.mask_path)):
        try:
            files = [f for f in path.rglob("*") if f.is_file()] if path.is_dir() else [path]
            total += sum(f.stat().st_size for f in files)
        except OSError:
            continue
    return total


def run_extraction(
    cases: Sequence[Case],
    spec: ExtractionSpec,
    *,
    store: Store | None = None,
    n_jobs: int | None = None,
    scheduler: str | None = None,
    retry_failed: bool = False,
    on_progress: ProgressCallback | None = None,
    should_stop: Callable[[], bool] | None = None,
    batch_size: int = BATCH_SIZE,
) -> RunSummary:
    """Extract every case not yet in the store and store the results.

    A case whose key is stored as ``done`` is skipped (cached); one stored as ``failed``
    is skipped unless ``retry_failed``; one missing from the store but present as a
    per-case file is recovered from the file without recomputing. ``n_jobs`` None
    means all cores.
    """
    start = time.perf_counter()
    store = store or Store()
    cases = list({case.case_key: case for case in cases}.values())
    known = ingest.stored_status(store, [c.case_key for c in cases])
    recovered = [
        result
        for case in cases
        if case.case_key not in known and (result := ingest.read_case_file(case.case_key)) is not None
    ]
    ingest.ingest_results(store, recovered, spec)
    known.update({r.case_key: r.status for r in recovered})
    n_done = sum(status == "done" for status in known.values())
    n_failed = 0 if retry_failed else sum(status == "failed" for status in known.values())
    n_cached = n_done - len(recovered)
    pending = [c for c in cases if known.get(c.case_key) != "done" and (retry_failed or c.case_key not in known)]
    costs = {c.case_key: expected_cost(c) for c in pending}
    groups = sorted(image_groups(pending), key=lambda g: sum(costs[c.case_key] for c in g), reverse=True)
    pending = [case for group in groups for case in group]  # longest first: no worker ends alone on a big image
    if on_progress:
        on_progress(len(cases), n_done, n_failed)

    buffer: list[CaseResult] = []
    computed, cancelled = 0, False
    last_write = last_check = time.monotonic()
    results = iter_results(pending, spec, n_jobs=n_jobs, scheduler=scheduler)
    try:
        for result in results:
            if result.status == "done":
                ingest.write_case_file(result)
            buffer.append(result)
            if len(buffer) >= batch_size or time.monotonic() - last_write >= BATCH_SECONDS:
                n_done, n_failed = _flush(store, buffer, spec, n_done, n_failed)
                computed += len(buffer)
                buffer, last_write = [], time.monotonic()
                if on_progress:
                    on_progress(len(cases), n_done, n_failed)
            if should_stop and time.monotonic() - last_check >= STOP_CHECK_SECONDS:
                last_check = time.monotonic()
                if should_stop():
                    cancelled = True
                    break
    finally:
        results.close()  # stops pending tasks when we leave early
        n_done, n_failed = _flush(store, buffer, spec, n_done, n_failed)
        computed += len(buffer)
    if on_progress:
        on_progress(len(cases), n_done, n_failed)
    if computed >= CHECKPOINT_AFTER:
        store.checkpoint()
    return RunSummary(
        n_total=len(cases),
        n_cached=n_cached,
        n_recovered=len(recovered),
        n_computed=computed,
        n_failed=n_failed,
        cancelled=cancelled,
        seconds=time.perf_counter() - start,
    )


def _flush(store: Store, buffer: list[CaseResult], spec: ExtractionSpec, n_done: int, n_failed: int) -> tuple[int, int]:
    ingest.ingest_results(store, buffer, spec)
    done = sum(r.status == "done" for r in buffer)
    return n_done + done, n_failed + len(buffer) - done

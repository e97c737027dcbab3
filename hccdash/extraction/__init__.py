"""Feature extraction: pyradiomics settings, cache keys, parallel runs, ingest into the store.

The flow of one run (``engine.run_extraction``): settings -> :class:`~hccdash.extraction.params.ExtractionSpec`
(validated pyradiomics parameters plus preprocessing options, with a settings hash);
cases (patient x phase x reader) -> content-hash keys (``cache``); cases whose key is
already stored are skipped; the rest run one per task on joblib workers (loky, or a
Dask cluster), and the one calling process writes each result to a per-case file and
to the store in batches (``ingest``). Background runs go through ``hccdash.jobs``
(job kind ``"extraction"``, ``hccdash.extraction.job``).
"""

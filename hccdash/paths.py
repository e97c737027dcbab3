"""Where hccdash keeps its data: everything lives under ``HCCDASH_HOME``.

``HCCDASH_HOME`` defaults to the project folder (the one holding ``app.py``), so the
store is ``hccdash.duckdb`` beside ``app.py`` and model artifacts go to ``models/``.
Tests point ``HCCDASH_HOME`` at a temporary folder.
"""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
SAMPLE_DIR = PROJECT_DIR / "sample_data"
RUNNING_PREFIX = "hccdash-running-"  # + pid of the extracting process + "-": a run's in-flight markers (system temp)


def home() -> Path:
    """The data directory: ``$HCCDASH_HOME`` or the project folder."""
    value = os.environ.get("HCCDASH_HOME")
    path = Path(value).expanduser().resolve() if value else PROJECT_DIR
    path.mkdir(parents=True, exist_ok=True)
    return path


def store_path() -> Path:
    """The DuckDB file holding cohorts, features, cache, jobs and model metadata."""
    return home() / "hccdash.duckdb"


def models_dir() -> Path:
    """Folder of the registry's joblib artifacts."""
    path = home() / "models"
    path.mkdir(parents=True, exist_ok=True)
    return path


def cache_dir() -> Path:
    """Folder of per-case extraction results (recoverable copy of the feature store)."""
    path = home() / "cache"
    path.mkdir(parents=True, exist_ok=True)
    return path


def jobs_dir() -> Path:
    """Folder of background job logs."""
    path = home() / "jobs"
    path.mkdir(parents=True, exist_ok=True)
    return path


def networks_dir() -> Path:
    """Folder of registered networks' ONNX files (``<sha256>.onnx``)."""
    path = home() / "networks"
    path.mkdir(parents=True, exist_ok=True)
    return path

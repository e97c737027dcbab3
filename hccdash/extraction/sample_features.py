"""The sample cohort's shipped feature table, so model building works on first start.

``python -m hccdash.extraction.sample_features`` extracts ``sample_data/manifest.csv``
with the default settings (through the normal engine and cache) and writes
``sample_data/features.parquet``: one row per case with its cache key, content hashes,
label, settings hash, library versions, status / error and one column per feature.

:func:`ensure_sample_features` loads that table into the store for every key the
store lacks (the table itself is the recoverable copy, so no per-case files): the rows are keyed exactly like a real
extraction, so extracting the sample cohort afterwards finds them cached, and
re-extracting (``--retry``-free, in a fresh home) reproduces them.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

from hccdash import paths
from hccdash.extraction import ingest
from hccdash.extraction.cli import ProgressPrinter
from hccdash.extraction.engine import cases_from_images, run_extraction, with_case_keys
from hccdash.extraction.manifest import manifest_images
from hccdash.extraction.params import spec_from_settings
from hccdash.store import Store

SAMPLE_FEATURES = paths.SAMPLE_DIR / "features.parquet"
META_COLUMNS = ["case_key", "image_sha256", "mask_sha256", "label", "settings_hash", "versions", "status", "error", "seconds"]


def stored_case_table(case_keys: list[str], store: Store | None = None) -> pd.DataFrame:
    """Stored cases of ``case_keys``: :data:`META_COLUMNS` then one column per feature."""
    store = store or Store()
    meta = store.query(
        f"SELECT {', '.join(META_COLUMNS)} FROM cases JOIN (SELECT unnest(?::VARCHAR[]) AS case_key) k "
        "USING (case_key) ORDER BY case_key",
        [case_keys],
    )
    long = store.query(
        "SELECT case_key, feature, value FROM features JOIN (SELECT unnest(?::VARCHAR[]) AS case_key) k "
        "USING (case_key)",
        [case_keys],
    )
    wide = long.pivot_table(index="case_key", columns="feature", values="value", aggfunc="first", dropna=False)
    wide.columns.name = None
    return meta.merge(wide, left_on="case_key", right_index=True, how="left")


def build(manifest: Path = paths.SAMPLE_DIR / "manifest.csv", out: Path = SAMPLE_FEATURES, n_jobs: int | None = None) -> Path:
    """Extract the sample manifest with default settings and write the feature table."""
    spec = spec_from_settings()
    images = manifest_images(manifest)
    run_extraction(cases_from_images(images, spec), spec, n_jobs=n_jobs, on_progress=ProgressPrinter())
    keys = with_case_keys(images, spec.settings_hash)["case_key"].drop_duplicates().tolist()
    table = stored_case_table(keys)
    table.to_parquet(out, index=False, compression="zstd")
    return out


def ensure_sample_features(path: Path = SAMPLE_FEATURES, store: Store | None = None) -> int:
    """Load the shipped sample features for keys the store lacks; returns how many cases were added.

    Nothing happens if the table is absent, was made with other default settings, or
    none of its images is in a stored cohort (e.g. the sample cohort is not imported).
    """
    if not path.is_file():
        return 0
    store = store or Store()
    spec = spec_from_settings()
    keys = pd.read_parquet(path, columns=["case_key", "settings_hash", "image_sha256"])
    keys = keys[keys["settings_hash"] == spec.settings_hash]
    if keys.empty or not _images_known(store, keys["image_sha256"].unique().tolist()):
        return 0
    missing = sorted(set(keys["case_key"]) - set(ingest.stored_status(store, keys["case_key"].tolist())))
    if not missing:
        return 0
    table = pd.read_parquet(path)
    table = table[table["case_key"].isin(missing)]
    cases = table[META_COLUMNS].astype({"label": int})
    features = (
        table.drop(columns=[c for c in META_COLUMNS if c != "case_key"])
        .melt(id_vars="case_key", var_name="feature", value_name="value")
        .dropna(subset=["value"])
    )
    features = features[features["case_key"].isin(cases.loc[cases["status"] == "done", "case_key"])]
    ingest.ingest_frames(store, cases, features, spec)
    store.checkpoint()
    return len(cases)


def _images_known(store: Store, image_hashes: list[str]) -> bool:
    frame = store.query(
        "SELECT count(*) AS n FROM images JOIN (SELECT unnest(?::VARCHAR[]) AS image_sha256) k USING (image_sha256)",
        [image_hashes],
    )
    return int(frame["n"].iloc[0]) > 0


def main(argv: list[str] | None = None) -> int:
    """Build ``sample_data/features.parquet`` (``--jobs N`` workers)."""
    parser = argparse.ArgumentParser(description=build.__doc__)
    parser.add_argument("--jobs", type=int, default=None)
    parser.add_argument("--out", type=Path, default=SAMPLE_FEATURES)
    args = parser.parse_args(argv)
    out = build(out=args.out, n_jobs=args.jobs)
    print(f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

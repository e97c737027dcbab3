"""A cohort's extracted feature sets (settings x mask label) and one case's outcome in one of them.

A feature set is what :func:`hccdash.extraction.matrices.feature_matrix` reads: the
extraction settings (their hash) and the mask label (None: each image's label chosen at
import, e.g. the tumour; N: label N of every mask, e.g. the whole liver). The sets of a
cohort are found from the stored cases of its images under the current library
versions; their parameters from ``extraction_settings``. Deep feature sets are listed by
:func:`hccdash.deep.feature_sets.cohort_deep_sets`.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field

import pandas as pd

from hccdash.extraction import cache
from hccdash.extraction.engine import with_case_keys
from hccdash.extraction.features_io import imported_sources
from hccdash.extraction.matrices import cohort_images
from hccdash.extraction.params import ExtractionSpec, spec_from_settings
from hccdash.settings import Settings
from hccdash.store import Store

EXTRACTED = "extracted features (default settings)"


@dataclass(frozen=True)
class FeatureSet:
    """Extraction settings and mask label of stored features, with their counts."""

    settings_hash: str
    label: int | None  # None: each image's label from import
    n_done: int = 0
    n_failed: int = 0
    spec: ExtractionSpec | None = field(default=None, compare=False)

    @property
    def title(self) -> str:
        """E.g. ``default settings, label from import (450 done)``."""
        which = "default settings" if self.settings_hash == spec_from_settings().settings_hash \
            else f"settings {self.settings_hash[:8]}"
        label = "label from import" if self.label is None else f"label {self.label}"
        return f"{which}, {label} ({self.n_done} done, {self.n_failed} failed)"


def cohort_feature_sets(cohort: str, store: Store | None = None) -> list[FeatureSet]:
    """The feature sets stored for ``cohort``'s images, most cases first."""
    store = store or Store()
    frame = store.query(
        "SELECT c.settings_hash, CASE WHEN c.label = i.label THEN NULL ELSE c.label END AS label, "
        "count(*) FILTER (WHERE c.status = 'done') AS n_done, count(*) FILTER (WHERE c.status = 'failed') AS n_failed, "
        "any_value(s.params) AS params "
        "FROM images i JOIN cases c ON c.image_sha256 = i.image_sha256 AND c.mask_sha256 = i.mask_sha256 "
        "LEFT JOIN extraction_settings s USING (settings_hash) "
        "WHERE i.cohort = ? AND c.versions = ? AND (s.params->>'kind') IS DISTINCT FROM 'deep' "  # hccdash.deep's
        "GROUP BY 1, 2 ORDER BY n_done DESC, 1, 2 NULLS FIRST",
        [cohort, cache.versions()],
    )
    sets = []
    for row in frame.itertuples(index=False):
        spec = ExtractionSpec.from_dict(json.loads(row.params)) if isinstance(row.params, str) else None
        label = None if pd.isna(row.label) else int(row.label)
        sets.append(FeatureSet(row.settings_hash, label, int(row.n_done), int(row.n_failed), spec))
    return sets


def feature_set_choices(
    stored: list[FeatureSet], current: ExtractionSpec | None = None, current_label: int | None = None
) -> list[FeatureSet]:
    """The sets to offer, each once: ``current`` (settings being edited elsewhere) first, then the
    ``stored`` ones, then the default settings with the label from import if not among them."""
    wanted = [FeatureSet(current.settings_hash, current_label, spec=current)] if current is not None else []
    default = spec_from_settings()
    by_key = {(s.settings_hash, s.label): s for s in stored}
    out: dict[tuple[str, int | None], FeatureSet] = {}
    for candidate in [*wanted, *stored, FeatureSet(default.settings_hash, None, spec=default)]:
        key = (candidate.settings_hash, candidate.label)
        out.setdefault(key, by_key.get(key, candidate))
    return list(out.values())


@dataclass(frozen=True)
class FeatureChoice:
    """A feature set Model building and Evaluation can fit on: extracted (default settings, the mask
    label from import or another one) or an imported table (``source``)."""

    title: str
    source: str | None = None  # imported table; None: extracted features
    label: int | None = None  # mask label of the extracted features; None: each image's label from import

    def applied_to(self, settings: Settings) -> Settings:
        """``settings`` reading this choice's extracted label (what background jobs reload the features with)."""
        return dataclasses.replace(settings, extraction=dataclasses.replace(settings.extraction, label=self.label))


def model_feature_choices(cohort: str, settings_hash: str | None = None, store: Store | None = None
                          ) -> list[FeatureChoice]:
    """The extracted features under the default settings (or ``settings_hash``): the label from import
    first, then every other label with extracted cases (e.g. the whole liver); then the cohort's
    imported tables."""
    default = settings_hash or spec_from_settings().settings_hash
    labels = sorted(s.label for s in cohort_feature_sets(cohort, store)
                    if s.settings_hash == default and s.label is not None and s.n_done)
    return [FeatureChoice(EXTRACTED), *(FeatureChoice(f"{EXTRACTED[:-1]}, label {n})", None, n) for n in labels),
            *(FeatureChoice(name, name) for name in imported_sources(cohort))]


@dataclass(frozen=True)
class CaseOutcome:
    """One case under a feature set: ``done`` (features), ``failed`` (error) or ``pending``."""

    case_key: str
    status: str
    error: str | None
    seconds: float | None
    features: pd.DataFrame  # feature, value


def case_outcome(
    cohort: str, patient_id: str, phase: str, reader: str, settings_hash: str, label: int | None = None,
    store: Store | None = None,
) -> CaseOutcome:
    """The stored outcome of one patient x phase x reader under ``settings_hash`` and ``label``."""
    store = store or Store()
    images = cohort_images(cohort, label=label, store=store)
    row = images[(images["patient_id"] == patient_id) & (images["phase"] == phase) & (images["reader"] == reader)]
    if row.empty:
        raise ValueError(f"Cohort {cohort!r} has no image of patient {patient_id!r}, phase {phase!r}, reader {reader!r}")
    key = with_case_keys(row, settings_hash)["case_key"].iloc[0]
    case = store.query("SELECT status, error, seconds FROM cases WHERE case_key = ?", [key])
    features = store.query("SELECT feature, value FROM features WHERE case_key = ? ORDER BY feature", [key])
    if case.empty:
        return CaseOutcome(key, "pending", None, None, features)
    seconds = case["seconds"].iloc[0]
    return CaseOutcome(key, str(case["status"].iloc[0]), case["error"].iloc[0] or None,
                       None if pd.isna(seconds) else float(seconds), features)

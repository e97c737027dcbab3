"""A cohort's deep feature sets (network and settings x mask label), as Model building and the pages list them.

The deep counterpart of :func:`hccdash.extraction.feature_sets.cohort_feature_sets`: stored cases
of the cohort's images whose settings are a deep spec. A set's matrix is
``feature_matrix(cohort, deep_set.spec, label=deep_set.label)``
(:func:`hccdash.extraction.matrices.feature_matrix`), with columns ``{phase}.dl.<network>.<NNNN>``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pandas as pd

from hccdash.deep.spec import DeepSpec
from hccdash.extraction import cache
from hccdash.store import Store


@dataclass(frozen=True)
class DeepFeatureSet:
    """A deep spec and mask label with the cohort's counts of cases done and failed under them."""

    spec: DeepSpec
    label: int | None  # None: each image's label from import
    n_done: int
    n_failed: int

    @property
    def title(self) -> str:
        """E.g. ``deep: small (4 features, mean of slices, settings 1a2b3c4d), label from import (3 done, 0 failed)``."""
        label = "label from import" if self.label is None else f"label {self.label}"
        return f"{self.spec.title}, {label} ({self.n_done} done, {self.n_failed} failed)"


def cohort_deep_sets(cohort: str, store: Store | None = None) -> list[DeepFeatureSet]:
    """The deep feature sets stored for ``cohort``'s images, most cases first."""
    frame = (store or Store()).query(
        "SELECT c.settings_hash, CASE WHEN c.label = i.label THEN NULL ELSE c.label END AS label, "
        "count(*) FILTER (WHERE c.status = 'done') AS n_done, count(*) FILTER (WHERE c.status = 'failed') AS n_failed, "
        "any_value(s.params) AS params "
        "FROM images i JOIN cases c ON c.image_sha256 = i.image_sha256 AND c.mask_sha256 = i.mask_sha256 "
        "JOIN extraction_settings s USING (settings_hash) "
        "WHERE i.cohort = ? AND c.versions = ? AND s.params->>'kind' = 'deep' "
        "GROUP BY 1, 2 ORDER BY n_done DESC, 1, 2 NULLS FIRST",
        [cohort, cache.versions()],
    )
    return [DeepFeatureSet(DeepSpec.from_dict(json.loads(row.params)), None if pd.isna(row.label) else int(row.label),
                           int(row.n_done), int(row.n_failed)) for row in frame.itertuples(index=False)]

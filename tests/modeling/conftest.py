"""A stored cohort with imported synthetic features (readers 1 and 2), for page and job tests."""

from __future__ import annotations

import pytest

from synthetic_cohort import import_synthetic_cohort


COHORT = "synthetic"
SOURCE = "synthetic_features.csv"


@pytest.fixture
def stored_cohort(hccdash_home, tmp_path) -> str:
    """Cohort "synthetic" (120 patients, 90 features, 30 repeat patients) in the test's store."""
    import_synthetic_cohort(COHORT, SOURCE, tmp_path, n=120, p=90, seed=5, n_latent=20)
    return COHORT


@pytest.fixture
def feature_source() -> str:
    """The imported feature table of ``stored_cohort``."""
    return SOURCE

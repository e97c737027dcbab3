"""Shared fitted models for the evaluation tests: a synthetic cohort with two centres,
built once per session with quick settings (no store needed), and a stored copy for the
page and job tests."""

from __future__ import annotations

import dataclasses

import pytest

from hccdash.modeling.builder import ModelBuilder
from hccdash.settings import ModelSettings

from evaluation_fixtures import COHORT, QUICK, SOURCE, with_centres
from synthetic_cohort import import_synthetic_cohort, synthetic_inputs


@pytest.fixture(scope="session")
def builder() -> ModelBuilder:
    return ModelBuilder(with_centres(synthetic_inputs(n=160, p=60, seed=3, n_latent=15)))


@pytest.fixture(scope="session")
def rfs_result(builder):
    return builder.build(QUICK, ("AFP", "BCLC", "age"))


@pytest.fixture(scope="session")
def rfs_evaluation(builder, rfs_result):
    from hccdash.evaluation.summary import evaluate

    return evaluate(rfs_result, builder)


@pytest.fixture(scope="session")
def er_result(builder):
    settings = dataclasses.replace(QUICK, model=ModelSettings(endpoint="er", er_horizon_months=12.0))
    return builder.build(settings, ("AFP", "BCLC", "age"))


@pytest.fixture(scope="session")
def er_evaluation(builder, er_result):
    from hccdash.evaluation.summary import evaluate

    return evaluate(er_result, builder)


@pytest.fixture
def stored_cohort(hccdash_home, tmp_path) -> str:
    """The synthetic cohort (two centres, imported features) in the test's store."""
    import_synthetic_cohort(COHORT, SOURCE, tmp_path, n=120, p=40, seed=5, n_latent=12)
    return COHORT

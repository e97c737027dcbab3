"""Shared fixtures of the registry tests: a stand-in fitted model and its model file."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

import registry_standin as standin  # noqa: E402

from hccdash.registry import registry  # noqa: E402


@pytest.fixture(scope="session")
def synthetic_data():
    return standin.synthetic()


@pytest.fixture(scope="session")
def cox_standin(synthetic_data):
    return standin.cox_standin(synthetic_data)


@pytest.fixture(scope="session")
def logistic_standin(synthetic_data):
    return standin.logistic_standin(synthetic_data)


import registry_pipelines as pipelines  # noqa: E402


@pytest.fixture(scope="session")
def cox_pipeline():
    return pipelines.fit("rfs")


@pytest.fixture(scope="session")
def er_pipeline():
    return pipelines.fit("er")


@pytest.fixture(scope="session")
def fusion_pipeline():
    return pipelines.fit("rfs", fusion="scores")


@pytest.fixture
def combined(cox_pipeline):
    """The Cox pipeline saved as model 'combined'; three of its validation patients with a patient_id column."""
    registry.save(cox_pipeline.result.model, "combined", **cox_pipeline.save_kwargs())
    patients = cox_pipeline.validation.iloc[:3].copy()
    patients.insert(0, "patient_id", patients.index)
    return patients

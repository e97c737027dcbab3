"""Shared fixtures of the registry tests: a stand-in fitted model and its model file."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

import registry_standin as standin  # noqa: E402


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

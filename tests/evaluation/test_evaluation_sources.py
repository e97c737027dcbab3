"""A model saved in the registry is evaluated on its cohort's stored split, like the build
result it came from; the cohort's stored centres are found."""

from __future__ import annotations

import pytest

from hccdash.evaluation import sources
from hccdash.evaluation.summary import evaluate
from hccdash.modeling.builder import ModelBuilder, load_model_inputs
from hccdash.registry import pipelines

from evaluation_fixtures import QUICK, SOURCE


def test_saved_pipeline_evaluates_like_its_build_result(stored_cohort):
    builder = ModelBuilder(load_model_inputs(stored_cohort, source=SOURCE))
    result = builder.build(QUICK, ("AFP",))
    pipelines.save_build(builder, result, "eval-test")
    assert pipelines.saved_pipelines(stored_cohort) == ["eval-test"]
    assert pipelines.saved_pipelines("other") == []
    pipeline = pipelines.load_saved("eval-test")
    centres = sources.stored_centres(stored_cohort)
    assert set(centres.unique()) == {"A", "B"}
    evaluation = evaluate(pipeline, builder, centres=centres)
    c = evaluation.discrimination.set_index(["model", "split"])["c_index"]
    for split in ("train", "validation"):
        assert c[("combined", split)] == pytest.approx(result.discrimination.loc["combined", split])
    assert evaluation.model_summary["n"] == {"train": len(result.train_index),
                                             "validation": len(result.validation_index)}
    assert set(evaluation.by_centre["centre"]) == {"A", "B"}

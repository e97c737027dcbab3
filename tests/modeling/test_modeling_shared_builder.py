from hccdash.modeling.builder import shared_builder


def test_pages_share_one_builder_until_a_reload(stored_cohort, feature_source):
    first = shared_builder(stored_cohort, feature_source)
    assert shared_builder(stored_cohort, feature_source) is first  # Evaluation reuses Model building's stages
    reloaded = shared_builder(stored_cohort, feature_source, reload=True)
    assert reloaded is not first
    assert shared_builder(stored_cohort, feature_source) is reloaded
    assert list(reloaded.inputs.features.columns) == list(first.inputs.features.columns)


def test_a_build_is_kept_for_the_same_settings_and_clinical_variables(stored_cohort, feature_source):
    """A page rerun that changed no setting (a lambda move rerunning the filter stage's build, another
    session on the same settings) gets the same result back; any other setting, or a reload, fits."""
    from hccdash.modeling.controls import with_lambda
    from hccdash.settings import Settings

    builder = shared_builder(stored_cohort, feature_source)
    base = builder.build(with_lambda(Settings(), "lambda.min"))
    assert builder.build(with_lambda(Settings(), "lambda.min")) is base
    other = builder.build(with_lambda(Settings(), "lambda.1se"))
    assert other is not base and other.settings.selection.lasso_lambda == "lambda.1se"
    fewer = builder.build(with_lambda(Settings(), "lambda.min"), clinical_vars=["age"])
    assert fewer is not base and fewer.clinical_vars == ("age",)
    reloaded = shared_builder(stored_cohort, feature_source, reload=True)
    assert reloaded.build(with_lambda(Settings(), "lambda.min")) is not base


def test_what_is_derived_from_a_result_and_the_sets_frames_are_computed_once(stored_cohort, feature_source):
    """Every fit reads the same sets' frames (kept per ids, clinical variables and batch), and what a
    page derives from a result (the PH check) is computed once for all sessions sharing it."""
    from hccdash.modeling.controls import with_lambda
    from hccdash.settings import Settings

    builder = shared_builder(stored_cohort, feature_source)
    result = builder.build(with_lambda(Settings(), "lambda.min"))
    ids = result.validation_index
    frame = builder.frame(ids, ("age",))
    assert builder.frame(ids, ("age",)) is frame
    assert list(frame.index) == list(ids) and "age" in frame.columns
    assert "age" not in builder.frame(ids, ()).columns
    calls = []
    compute = lambda: calls.append(1) or len(calls)  # noqa: E731
    assert result.derived("check", compute) == 1 and result.derived("check", compute) == 1
    assert result.derived("other", compute) == 2 and len(calls) == 2

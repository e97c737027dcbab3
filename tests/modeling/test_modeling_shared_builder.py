from hccdash.modeling.builder import shared_builder

from conftest import SOURCE


def test_pages_share_one_builder_until_a_reload(stored_cohort):
    first = shared_builder(stored_cohort, SOURCE)
    assert shared_builder(stored_cohort, SOURCE) is first  # Evaluation reuses Model building's stages
    reloaded = shared_builder(stored_cohort, SOURCE, reload=True)
    assert reloaded is not first
    assert shared_builder(stored_cohort, SOURCE) is reloaded
    assert list(reloaded.inputs.features.columns) == list(first.inputs.features.columns)

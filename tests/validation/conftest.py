"""A store built once per session and copied into each test's home: the sample cohort imported
with a centre split ("centres": Centre A trains, Centre B is the external set) with its shipped
features; the combined Cox model fitted on Centre A and saved as "combined" (as Model building
does); the sample again with renamed columns in other units ("renamed"); and a clinical
logistic (ER at 24 months) model built on Centre A and imported from JSON ("er_clinical")."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest

from hccdash import paths

from validation_fixtures import CENTRES, CLINICAL, COMBINED, ER_MODEL, RENAMED, er_model, import_variant, renamed_table


@pytest.fixture(scope="session")
def built_home(tmp_path_factory) -> Path:
    """The session's store (module docstring)."""
    if not (paths.SAMPLE_DIR / "images").is_dir():
        pytest.skip("sample images not built (python -m hccdash.sample)")
    from hccdash.cohort import import_sample
    from hccdash.extraction.sample_features import ensure_sample_features
    from hccdash.modeling.builder import ModelBuilder, load_model_inputs
    from hccdash.registry import registry
    from hccdash.registry.pipelines import save_build
    from hccdash.settings import Settings, SplitSettings
    from hccdash.store import Store

    home = tmp_path_factory.mktemp("validation_home")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HCCDASH_HOME", str(home))
        import_sample(name=CENTRES, split=SplitSettings(method="centre", validation_centres=("Centre B",)))
        ensure_sample_features()
        builder = ModelBuilder(load_model_inputs(CENTRES))
        base = Settings()
        settings = dataclasses.replace(base, model=dataclasses.replace(base.model, clinical_force_in=("AFP", "ALB", "sex")))
        save_build(builder, builder.build(settings, clinical_vars=CLINICAL), COMBINED)
        import_variant(RENAMED, renamed_table(), {"afp": "IU/mL", "albumin": "g/dL"})
        registry.import_json(er_model(), ER_MODEL)
        Store().checkpoint()
    return home


@pytest.fixture
def home(built_home, hccdash_home) -> Path:
    """This test's own copy of the session's store."""
    shutil.copytree(built_home, hccdash_home, dirs_exist_ok=True)
    return hccdash_home

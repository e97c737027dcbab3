"""Settings -> pyradiomics parameters, the settings hash, and YAML validation messages."""

from __future__ import annotations

import pytest

from hccdash.extraction.params import (
    ExtractionSpec,
    load_params_yaml,
    params_from_settings,
    spec_from_settings,
    spec_from_yaml,
)
from hccdash.settings import ExtractionSettings


def test_default_settings_follow_methods():
    params = params_from_settings(ExtractionSettings())
    assert params["setting"]["resampledPixelSpacing"] == [1.0, 1.0, 1.0]
    assert params["setting"]["binWidth"] == 25.0
    assert params["setting"]["interpolator"] == "sitkBSpline"
    assert params["imageType"] == {"Original": {}, "Wavelet": {}, "LoG": {"sigma": [1.0, 2.0, 3.0, 4.0, 5.0]}}
    assert set(params["featureClass"]) == {"shape", "firstorder", "glcm", "glrlm", "glszm", "gldm", "ngtdm"}
    assert "normalize" not in params["setting"]


def test_mri_options_and_2d_roi():
    spec = spec_from_settings(ExtractionSettings(normalize=True, n4_bias_correction=True, roi="2d"))
    setting = spec.params["setting"]
    assert setting["normalize"] is True and setting["normalizeScale"] == 100.0
    assert setting["force2D"] is True and setting["force2Ddimension"] == 0
    assert setting["resampledPixelSpacing"] == [1.0, 1.0, 0.0]  # no resampling across the single slice
    assert "shape2D" in spec.params["featureClass"] and "shape" not in spec.params["featureClass"]
    assert spec.n4_bias_correction and spec.roi == "2d"


def test_hash_ignores_int_float_and_key_order_but_not_values():
    a = ExtractionSpec.from_dict({"params": {"setting": {"binWidth": 25, "label": 1}}})
    b = ExtractionSpec.from_dict({"params": {"setting": {"label": 1, "binWidth": 25.0}}})
    c = ExtractionSpec.from_dict({"params": {"setting": {"binWidth": 5, "label": 1}}})
    d = ExtractionSpec.from_dict({"params": {"setting": {"binWidth": 25, "label": 1}}, "n4_bias_correction": True})
    assert a.settings_hash == b.settings_hash
    assert len({a.settings_hash, c.settings_hash, d.settings_hash}) == 3


def test_spec_roundtrip_through_dict():
    spec = spec_from_settings()
    assert ExtractionSpec.from_dict(spec.to_dict()).settings_hash == spec.settings_hash


@pytest.mark.parametrize(
    ("yaml_text", "message"),
    [
        ("setting:\n  binWidth: -5\n", r"setting.binWidth = -5 is out of range: must be > 0"),
        ("setting:\n  binwidth: 25\n", r"Unknown key 'setting.binwidth'; allowed keys here: \[.*'binWidth'"),
        ("imageType:\n  Wavelets: {}\n", r"imageType: Image Type Wavelets is not recognized.*'Wavelet'"),
        ("featureClass:\n  glcm: [Contrasts]\n", r"featureClass: .*glcm contains unrecognized features: \{'Contrasts'\}"),
        ("setting:\n  resegmentMode: fixed\n", r"setting.resegmentMode = 'fixed' is not allowed; allowed values: \['absolute'"),
        ("setting:\n  interpolator: cubic\n", r"setting.interpolator: Interpolator value \"cubic\" not valid"),
        ("setting:\n  resampledPixelSpacing: 1\n", r"setting.resampledPixelSpacing must be a list, got 1"),
        ("setting:\n  label: yes\n", r"setting.label must be of type int, got True"),
        ("settings:\n  binWidth: 25\n", r"Unknown key 'settings'; allowed keys here: \['featureClass', 'imageType', 'setting', 'voxelSetting'\]"),
        ("setting: [1, 2\n", r"is not valid YAML \(line 2, column 1\): expected ',' or '\]'"),
        ("setting:\n  binWidth: '25'\n", r"setting.binWidth must be a number, got the text '25'"),
        ("setting:\n  resegmentRange: [-.inf, 400]\n", r"setting.resegmentRange\[0\] must be a finite number, got -inf"),
        ("setting:\n  normalizeScale: .nan\n", r"setting.normalizeScale must be a finite number, got nan"),
        ("setting:\n  resampledPixelSpacing: [0.8, 0.8, 12]\n", r"resampledPixelSpacing\[2\] = 12 is out of range: give 0"),
        ("setting:\n  resampledPixelSpacing: [0.2, 0.8, 0]\n", r"resampledPixelSpacing\[0\] = 0.2 is out of range"),
        ("- 1\n- 2\n", r"must hold a mapping at the top level"),
    ],
)
def test_yaml_validation_names_the_bad_key_or_value(tmp_path, yaml_text, message):
    path = tmp_path / "params.yaml"
    path.write_text(yaml_text)
    with pytest.raises(ValueError, match=message) as info:
        load_params_yaml(path)
    assert str(path) in str(info.value)


def test_reference_parameter_files_validate(reference):
    for path in sorted((reference / "pyradiomics" / "baseline_params").glob("*.yaml")):
        assert isinstance(load_params_yaml(path), dict)
    spec = spec_from_yaml(reference / "pyradiomics" / "exampleSettings" / "exampleCT.yaml")
    assert spec.params["setting"]["binWidth"] == 25


def test_missing_yaml_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.yaml"):
        load_params_yaml(tmp_path / "nope.yaml")


def test_spacing_limits_let_zero_and_the_bounds_through():
    for spacing in ([0.25, 10, 0], [1, 1, 1], [0, 0, 0]):
        spec = ExtractionSpec.from_dict({"params": {"setting": {"resampledPixelSpacing": spacing}}})
        assert spec.params["setting"]["resampledPixelSpacing"] == spacing


def test_parameter_file_that_is_not_text_or_not_a_file(tmp_path):
    path = tmp_path / "params.yaml"
    path.write_bytes(b"setting: \x89PNG\n")
    with pytest.raises(ValueError, match=f"{path} is not a YAML text file \\(not UTF-8 at byte 9\\)"):
        load_params_yaml(path)
    with pytest.raises(FileNotFoundError, match="is a folder, not a file"):
        load_params_yaml(tmp_path)


def test_every_pyradiomics_example_and_baseline_parameter_file_is_accepted(reference):
    """pyradiomics' own files load (exampleVoxel.yaml writes initValue: nan, text to YAML)."""
    files = sorted((reference / "pyradiomics").glob("*/*.yaml"))
    assert len(files) >= 15
    for path in files:
        assert spec_from_yaml(path).params, path


def test_a_parameter_set_is_checked_against_the_schema_once(monkeypatch):
    """Pages check the same parameters on every run: pykwalify runs once per distinct set; a
    different (bad) set is still checked and refused."""
    from hccdash.extraction import params as module

    checked = []
    original = module._check_schema
    monkeypatch.setattr(module, "_check_schema", lambda p: checked.append(1) or original(p))
    good = {"setting": {"binWidth": 17, "label": 1}}
    module.validate_params(good)
    module.validate_params({"setting": {"label": 1, "binWidth": 17}})
    assert len(checked) == 1
    with pytest.raises(ValueError, match="binWidth"):
        module.validate_params({"setting": {"binWidth": "wide", "label": 1}})
    with pytest.raises(ValueError, match="binWidth"):
        module.validate_params({"setting": {"binWidth": "wide", "label": 1}})
    assert len(checked) == 3

"""JSON model files: hostile or malformed files are refused with the reason, nothing stored."""

from __future__ import annotations

import copy
import json

import pytest

from hccdash import cli, paths
from hccdash.registry import registry, spec as spec_module
from hccdash.store import Store


def _set(path, value):
    def mutate(spec):
        target = spec
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
    return mutate


def _negative_variance(spec):
    spec["model"]["covariance"][1][1] = -0.5


def _asymmetric(spec):
    spec["model"]["covariance"][0][1] += 1.0


def _non_monotone(spec):
    cumhaz = spec["baseline"]["cumhaz"]
    cumhaz[5], cumhaz[6] = cumhaz[6], cumhaz[5] * 0.5 + cumhaz[6] * 0.0


def _ragged_correlation(spec):
    spec["radiomics"]["correlation"][1] = [0.5]


def _huge_baseline(spec):
    n = spec_module.MAX_BASELINE + 1
    spec["baseline"]["time"] = [float(i + 1) for i in range(n)]


def _many_features(spec):
    feature = spec["radiomics"]["features"][0]
    spec["radiomics"]["features"] = [
        {**feature, "name": f"portal.f{i}"} for i in range(spec_module.MAX_FEATURES + 1)
    ]


def _unknown_level(spec):
    spec["model"]["terms"][2]["level"] = "C"


def _hostile_extraction(spec):
    spec["radiomics"]["extraction"]["params"] = {"setting": {"binWidth": "a lot"}}


MUTATIONS = {
    "coefficient as text": (_set(["model", "terms", 0, "coef"], "0.1"), "schema"),
    "extra top-level key": (_set(["evil"], 1), "Additional properties"),
    "extra term key": (_set(["model", "terms", 0, "exec"], "rm -rf /"), "Additional properties"),
    "path-like model name": (_set(["name"], "../../etc/passwd"), "schema at name"),
    "path-like predictor": (_set(["predictors", 0, "name"], "../age"), "schema"),
    "script in notes": (_set(["notes"], "<script>alert(1)</script>"), "schema at notes"),
    "script in label": (_set(["predictors", 0, "label"], "<img src=x onerror=alert(1)>"), "schema"),
    "negative sd": (_set(["radiomics", "features", 0, "sd"], -1.0), "schema"),
    "negative variance": (_negative_variance, "negative variance"),
    "asymmetric covariance": (_asymmetric, "not symmetric"),
    "non-monotone survival": (_non_monotone, "must not decrease"),
    "huge baseline": (_huge_baseline, "schema"),
    "ragged correlation": (_ragged_correlation, "radiomics/correlation must be a 2 x 2 matrix"),
    "too many features": (_many_features, "schema"),
    "undeclared level": (_unknown_level, "not a level"),
    "bad extraction params": (_hostile_extraction, "radiomics/extraction"),
    "wrong format": (_set(["format"], "pickle"), "schema"),
    "huge number": (_set(["model", "terms", 0, "coef"], 1e300), "implausibly large"),
}


def _table_and_folder():
    return Store().query("SELECT count(*) AS n FROM models")["n"].iloc[0], sorted(paths.models_dir().iterdir())


@pytest.mark.parametrize("case", sorted(MUTATIONS))
def test_hostile_model_file_is_refused_and_nothing_stored(cox_standin, case):
    _, spec = cox_standin
    mutate, reason = MUTATIONS[case]
    bad = copy.deepcopy(spec)
    mutate(bad)
    before = _table_and_folder()
    with pytest.raises(ValueError, match=reason):
        registry.import_json(json.dumps(bad), "shared")
    assert _table_and_folder() == before == (0, [])


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("[1, 2, 3]", "JSON object"),
        ("{not json", "not valid JSON"),
        ('{"a": NaN}', "non-finite number NaN"),
        ('{"a": Infinity}', "non-finite number Infinity"),
        ('{"a": 1, "a": 2}', "repeats the key"),
        ('{"a": 1e400}', "non-finite number"),
        (" " * (spec_module.MAX_BYTES + 1), "limit"),
        ("[" * 100_000 + "]" * 100_000, "too deeply"),
    ],
)
def test_malformed_text_is_refused(text, reason):
    with pytest.raises(ValueError, match=reason):
        registry.import_json(text, "shared")
    assert _table_and_folder() == (0, [])


def test_valid_file_is_accepted_and_the_name_is_checked(cox_standin):
    _, spec = cox_standin
    text = json.dumps(spec)
    with pytest.raises(ValueError, match="not allowed"):
        registry.import_json(text, "a/b")
    record = registry.import_json(text, "shared", "site B")
    assert record.kind == "json" and record.endpoint == "rfs" and record.notes == "site B"
    assert registry.verify("shared").sha256 == record.sha256


def test_refused_model_files_leave_the_registry_unchanged(combined, tmp_path, capsys):
    store = Store()
    before = store.query("SELECT * FROM models ORDER BY name").astype(str).values.tolist()
    for name, text in [("deep.json", b"[" * 100000 + b"]" * 100000), ("nan.json", b'{"format": NaN}'),
                       ("big.json", b'{"format": 1' + b"0" * 5000 + b"}"), ("bin.json", b"\xff\xfe\x00")]:
        (tmp_path / name).write_bytes(text)
        assert cli.main(["import-model", str(tmp_path / name), "--name", "x"]) == 2
        assert name in capsys.readouterr().err
    assert store.query("SELECT * FROM models ORDER BY name").astype(str).values.tolist() == before


def test_schema_messages_name_the_deepest_reason_briefly(combined):
    model = registry.json_model("combined").spec
    hostile = {**model, "radiomics": {**model["radiomics"], "features": [
        {**model["radiomics"]["features"][0], "name": "x'); DROP TABLE models;--"}]}}
    with pytest.raises(ValueError, match=r"at radiomics/features/0/name: \"x'\); DROP TABLE models;--\" does not match"):
        spec_module.validate(hostile)
    long_levels = {**model, "predictors": [{**model["predictors"][0], "levels": ["a"] * 10000}, *model["predictors"][1:]]}
    with pytest.raises(ValueError, match=r"at predictors/0/levels: \['a', .*\.\.\. \(50000 characters\) is too long"):
        spec_module.validate(long_levels)
    with pytest.raises(ValueError, match=r"an integer of 5001 digits \(at most 18 allowed\)"):
        spec_module.parse(b'{"format": 1' + b"0" * 5000 + b"}")


def test_export_to_a_folder_is_an_error_message_not_a_traceback(combined, tmp_path, capsys):
    assert cli.main(["export", "--model", "combined", "--out", str(tmp_path)]) == 2
    assert "Is a directory" in capsys.readouterr().err

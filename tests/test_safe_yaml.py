"""Parameter and settings YAML files: aliases ("billion laughs") refused before anything is
built, size and nesting bounded, every message short and naming the file and line."""

from __future__ import annotations

import pytest

from hccdash.extraction.params import load_params_yaml
from hccdash.registry.cli_fit import read_settings
from hccdash.safe_yaml import MAX_YAML_BYTES, load_yaml
from hccdash.messages import MAX_MESSAGE

LOL = '["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'


def laughs(levels: int) -> str:
    """A flow list whose last item refers to 9**levels "lol"s through nested aliases."""
    names = "abcdefghij"
    parts = [f"&a {LOL}"] + [f"&{names[i]} [" + ",".join([f"*{names[i - 1]}"] * 9) + "]" for i in range(1, levels)]
    return "[" + ", ".join(parts) + "]"


def test_settings_file_with_aliases_is_refused_in_one_short_line(tmp_path):
    path = tmp_path / "settings.yaml"
    path.write_text("selection:\n  phases: " + laughs(6) + "\n")  # 9**6 = 531,441 strings once expanded
    assert path.stat().st_size < 400
    with pytest.raises(ValueError) as error:
        read_settings(path)
    message = str(error.value)
    assert len(message) <= MAX_MESSAGE and "\n" not in message
    assert message.startswith(f"Settings file {path} (line 2, column ")
    assert "aliases (*name) are not allowed" in message


def test_parameter_file_with_aliases_is_refused_in_one_short_line(tmp_path):
    path = tmp_path / "params.yaml"
    path.write_text("setting:\n  binWidth: " + laughs(6) + "\n")
    with pytest.raises(ValueError) as error:
        load_params_yaml(path)
    message = str(error.value)
    assert len(message) <= MAX_MESSAGE and "aliases (*name) are not allowed" in message and str(path) in message
    with pytest.raises(ValueError, match=r"parameter YAML \(line 2, column \d+\): YAML aliases"):
        load_params_yaml(path.read_text())  # the text itself, as the extraction page passes an upload


def test_merge_keys_need_aliases_and_are_refused():
    with pytest.raises(ValueError, match="aliases"):
        load_yaml("base: &b {binWidth: 25}\nsetting:\n  <<: *b\n", "params.yaml")


def test_plain_files_still_load():
    assert load_yaml("setting:\n  binWidth: 25\nimageType: {Original: {}}\n", "p") == {
        "setting": {"binWidth": 25}, "imageType": {"Original": {}}}
    assert load_yaml(b"\xef\xbb\xbfa: 1\n", "p") == {"a": 1}  # UTF-8 with a byte-order mark
    assert load_yaml("a: &x 1\n", "p") == {"a": 1}  # an anchor nobody refers to is harmless


@pytest.mark.parametrize("source, message", [
    (b"a: \xff\n", r"p is not a YAML text file \(not UTF-8 at byte 3\)"),
    ("a: [1, 2\n", r"p is not valid YAML \(line 2, column 1\)"),
    ("[" * 50_000 + "]" * 50_000, "p nests its YAML too deeply|p is not valid YAML"),
    ("a: '" + "x" * (MAX_YAML_BYTES + 1) + "'", r"p is 1,000,00\d bytes; a parameter or settings file is at most"),
])
def test_bad_files_get_one_short_message(source, message):
    with pytest.raises(ValueError, match=message) as error:
        load_yaml(source, "p")
    assert len(str(error.value)) <= MAX_MESSAGE


def test_long_values_give_short_messages(tmp_path):
    path = tmp_path / "settings.yaml"
    path.write_text("selection:\n  phases: [" + ", ".join(["[1, 2, 3]"] * 20_000) + "]\n")  # no alias, 200 kB
    with pytest.raises(ValueError, match=r"selection\.phases") as error:
        read_settings(path)
    assert len(str(error.value)) <= MAX_MESSAGE
    params = tmp_path / "params.yaml"
    params.write_text("setting:\n  binWidth: [" + ", ".join(["x" * 50] * 5_000) + "]\n")
    with pytest.raises(ValueError, match="binWidth") as error:
        load_params_yaml(params)
    assert len(str(error.value)) <= MAX_MESSAGE


def test_a_file_too_large_is_refused_before_it_is_read(tmp_path):
    path = tmp_path / "settings.yaml"
    with path.open("wb") as handle:
        handle.truncate(50 * MAX_YAML_BYTES)  # sparse: 50 MB that is never read
    with pytest.raises(ValueError, match=r"settings\.yaml is 50,000,000 bytes"):
        read_settings(path)
    with pytest.raises(ValueError, match=r"params\.yaml is 50,000,000 bytes"):
        load_params_yaml(path.rename(tmp_path / "params.yaml"))

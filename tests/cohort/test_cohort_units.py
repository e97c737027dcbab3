"""Units and display labels of clinical variables: CLI ``--units`` / ``--labels``, the
variables table of the import page, the stored mapping, older cohorts without units."""

from __future__ import annotations

import json

import pytest
from cohort_data import dump

from hccdash.cli import main
from hccdash.cohort import import_cohort, load_mapping, read_table, units_and_labels
from hccdash.cohort.mapping import ColumnMapping, guess_mapping, variables_table, with_variables_table


def _args(tiny, *extra: str) -> list[str]:
    return ["import", "--clinical", str(tiny["clinical"]), "--name", "tiny", "--id-col", "patient_id",
            "--time-col", "rfs_months", "--time-unit", "months", "--event-col", "recurrence", "--split", "none",
            *extra]


def test_cli_units_and_labels_are_stored_with_the_cohort(tiny, store):
    assert main(_args(tiny, "--units", "age=years, AFP = ng/mL", "--labels", "AFP=Alpha-fetoprotein")) == 0
    assert units_and_labels("tiny", store) == ({"age": "years", "AFP": "ng/mL"}, {"AFP": "Alpha-fetoprotein"})
    stored = json.loads(store.query("SELECT mapping FROM cohorts WHERE name = 'tiny'")["mapping"].iloc[0])
    afp = next(v for v in stored["variables"] if v["name"] == "AFP")
    assert (afp["unit"], afp["label"]) == ("ng/mL", "Alpha-fetoprotein")
    assert "unit" not in next(v for v in stored["variables"] if v["name"] == "sex")  # none given: none stored


@pytest.mark.parametrize("option, value, named", [
    ("--units", "age=years,weight=kg", "['weight']"),  # not a column of the table
    ("--units", "age=years,rfs_months=months", "['rfs_months']"),  # the time column is no variable
    ("--units", "AFP=<b>ng/mL</b>", "Unit of variable 'AFP'"),  # markup
    ("--units", "AFP=" + "x" * 21, "Unit of variable 'AFP'"),  # longer than the model file's 20 characters
    ("--units", "AFP", "'AFP' is not VARIABLE=TEXT"),
    ("--labels", "AFP=a\x07b", "Label of variable 'AFP'"),  # a control character
])
def test_cli_refuses_bad_units_naming_them_and_stores_nothing(tiny, store, capsys, option, value, named):
    before = dump(store)
    assert main(_args(tiny, option, value)) == 2
    error = capsys.readouterr().err
    assert error.startswith("error: ") and named in error
    assert dump(store) == before


def test_unit_limit_is_the_model_files(tiny):
    mapping = guess_mapping(read_table(tiny["clinical"]))
    assert mapping.with_units({"AFP": "x" * 20}).units == {"AFP": "x" * 20}
    assert mapping.with_units({"AFP": "µmol/L"}).units == {"AFP": "µmol/L"}  # micro sign allowed
    with pytest.raises(ValueError, match="longer than 20 characters"):
        mapping.with_units({"AFP": "x" * 21})


def test_variables_table_edits_units_and_labels(tiny):
    mapping = guess_mapping(read_table(tiny["clinical"]))
    table = variables_table(mapping)
    assert list(table.columns) == ["name", "kind", "predictor", "levels", "unit", "label"]
    table.loc[table["name"] == "AFP", ["unit", "label"]] = [" ng/mL ", "AFP level"]
    edited = with_variables_table(mapping, table)
    assert (edited.units, edited.labels) == ({"AFP": "ng/mL"}, {"AFP": "AFP level"})
    # a table without unit / label columns (an older page) keeps the mapping's
    assert with_variables_table(edited, table.drop(columns=["unit", "label"])).units == {"AFP": "ng/mL"}
    table.loc[table["name"] == "age", "unit"] = "<script>"
    row = int(table.index[table["name"] == "age"][0]) + 1
    with pytest.raises(ValueError, match=f"row {row}: Unit of variable 'age'"):
        with_variables_table(mapping, table)


def test_cohort_stored_without_units_keeps_loading_and_its_fingerprint(tiny, store):
    table = read_table(tiny["clinical"])
    mapping = guess_mapping(table)
    old = mapping.to_dict()
    assert all(set(v) == {"name", "kind", "predictor", "levels"} for v in old["variables"])  # as before units
    assert ColumnMapping.from_dict(old) == mapping
    first = import_cohort("tiny", table, mapping, store=store)
    assert import_cohort("tiny", table, ColumnMapping.from_dict(old), store=store).status == "unchanged"
    assert units_and_labels("tiny", store) == ({}, {})
    assert [v.name for v in load_mapping("tiny", store).variables] == [v.name for v in mapping.variables]
    assert units_and_labels("no such cohort", store) == ({}, {})
    with_units = import_cohort("tiny", table, mapping.with_units({"AFP": "ng/mL"}), store=store, replace=True)
    assert with_units.fingerprint != first.fingerprint and with_units.status == "replaced"


def test_import_page_takes_units_typed_in_the_variables_table(tiny):
    from streamlit.testing.v1 import AppTest

    from hccdash.paths import PROJECT_DIR

    at = AppTest.from_file(str(PROJECT_DIR / "app.py"), default_timeout=120).run()
    at.switch_page("pages/1_cohort_import.py").run()
    at.radio(key="ci_clinical_mode").set_value("Path").run()
    at.text_input(key="ci_clinical_path").set_value(str(tiny["clinical"])).run()
    editor = at.data_editor[0]
    assert {"unit", "label"} <= set(editor.value.columns)
    row = editor.value.index[editor.value["name"] == "AFP"][0]
    at.session_state[editor.key] = {"edited_rows": {int(row): {"unit": "ng/mL", "label": "Alpha-fetoprotein"}},
                                    "added_rows": [], "deleted_rows": []}
    at.text_input(key="ci_name").set_value("tiny").run()
    at.button(key="ci_import").click().run()
    assert not at.exception
    assert units_and_labels("tiny") == ({"AFP": "ng/mL"}, {"AFP": "Alpha-fetoprotein"})

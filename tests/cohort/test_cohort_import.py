"""Import into the store: round trip, idempotence, replace, refusals that change nothing, real data."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path

import pandas as pd
import pytest
from cohort_data import dump, make_cohort, write_file

from hccdash import paths
from hccdash.cohort import import_cohort, import_sample, list_cohorts, load_cohort, read_table
from hccdash.cohort.events import EventCoding, parse_event_values
from hccdash.cohort.importer import delete_cohort, validate_cohort
from hccdash.cohort.mapping import ColumnMapping, guess_mapping, remap
from hccdash.digest import HASH_FILE
from hccdash.overview import cohort_summary
from hccdash.settings import SplitSettings
from hccdash.store import Store

HCC = "hcc/HCC-TACE-Seg_clinical_data-V2"


def test_round_trip_types_and_paths(tiny, store):
    result = import_cohort("tiny", tiny["clinical"], images=tiny["manifest"], store=store)
    assert (result.status, result.n_patients, result.n_events, result.n_images) == ("imported", 24, 12, 56)
    cohort = load_cohort("tiny", store)
    assert cohort.time_unit == "months" and len(cohort.patients) == 24
    source = pd.read_csv(tiny["clinical"], dtype={"patient_id": str}).set_index("patient_id")
    assert cohort.patients["time"].to_dict() == pytest.approx(source["rfs_months"].to_dict())
    assert cohort.patients["event"].to_dict() == source["recurrence"].to_dict()
    assert cohort.patients["split"].value_counts().to_dict() == {"train": 16, "validation": 8}
    assert cohort.clinical["AFP"].dtype == float
    assert cohort.clinical["AFP"].to_dict() == pytest.approx(source["AFP"].to_dict())
    bclc = cohort.clinical["BCLC"]
    assert bclc.cat.ordered and list(bclc.cat.categories) == ["0", "A", "B"]
    assert not cohort.clinical["sex"].cat.ordered
    assert list(cohort.images.columns) == ["patient_id", "phase", "reader", "image_path", "mask_path", "label",
                                           "image_sha256", "mask_sha256"]
    first = cohort.images.iloc[0]
    assert first["image_path"] == str(tiny["folder"] / "images" / "P001_arterial.nii.gz")
    assert (cohort.images["reader"] == "2").sum() == 8
    assert set(cohort.variables.columns) >= {"name", "kind", "predictor", "levels"}


def test_the_import_remembers_its_image_hashes_for_the_extraction(tiny, store):
    """One hash implementation and one memory of hashes: the extraction of an imported cohort reads no image again."""
    import_cohort("tiny", tiny["clinical"], images=tiny["manifest"], store=store)
    images = load_cohort("tiny", store).images
    remembered = json.loads((paths.cache_dir() / HASH_FILE).read_text())
    for path, expected in [*zip(images["image_path"], images["image_sha256"]), *zip(images["mask_path"], images["mask_sha256"])]:
        assert remembered[path][1] == expected == hashlib.sha256(Path(path).read_bytes()).hexdigest()


def test_reimport_is_idempotent_and_change_needs_replace(tiny, store):
    first = import_cohort("tiny", tiny["clinical"], images=tiny["manifest"], store=store)
    before = dump(store)
    again = import_cohort("tiny", tiny["clinical"], images=tiny["manifest"], store=store)
    assert again.status == "unchanged" and again.fingerprint == first.fingerprint
    assert dump(store) == before
    changed = import_cohort("tiny", tiny["clinical"], images=tiny["manifest"], split=SplitSettings(seed=1), store=store)
    assert changed.status == "refused" and [p.check for p in changed.report.errors] == ["name_taken"]
    assert dump(store) == before
    replaced = import_cohort("tiny", tiny["clinical"], images=tiny["manifest"], split=SplitSettings(seed=1),
                             replace=True, store=store)
    assert replaced.status == "replaced" and replaced.fingerprint != first.fingerprint
    assert load_cohort("tiny", store).split_spec["seed"] == 1
    assert store.query("SELECT count(*) AS n FROM patients")["n"].iloc[0] == 24


def test_image_content_change_changes_fingerprint(tiny, store):
    first = import_cohort("tiny", tiny["clinical"], images=tiny["manifest"], store=store)
    mask = tiny["folder"] / "images" / "P003_portal_mask.nii.gz"
    mask.write_bytes((tiny["folder"] / "images" / "P001_portal_mask2.nii.gz").read_bytes())
    second = import_cohort("tiny", tiny["clinical"], images=tiny["manifest"], store=store, replace=True)
    assert second.status == "replaced" and second.fingerprint != first.fingerprint
    images = load_cohort("tiny", store).images.set_index(["patient_id", "phase", "reader"])
    assert images.loc[("P003", "portal", "1"), "mask_sha256"] == images.loc[("P001", "portal", "2"), "mask_sha256"]


def _break(path, row: int, column: str, value: str) -> None:
    table = pd.read_csv(path, dtype=str)
    table.loc[row - 2, column] = value
    table.to_csv(path, index=False)


@pytest.mark.parametrize(
    "row, column, value, check",
    [(5, "patient_id", "P001", "duplicate_id"), (7, "rfs_months", "-3", "negative_time"),
     (8, "rfs_months", "twelve", "non_numeric_time"), (9, "rfs_months", "", "missing_time"),
     (10, "recurrence", "2", "unknown_event")],
)
def test_refused_import_leaves_store_unchanged(tiny, store, row, column, value, check):
    make_cohort(tiny["folder"].parent / "other", n=12)
    import_cohort("other", tiny["folder"].parent / "other" / "clinical.csv", store=store)
    before = dump(store)
    _break(tiny["clinical"], row, column, value)
    result = import_cohort("tiny", tiny["clinical"], images=tiny["manifest"], store=store)
    assert result.status == "refused"
    offending = [p for p in result.report.errors if p.check == check]
    assert offending and offending[-1].row == row and offending[-1].column == column
    assert dump(store) == before


def test_refused_replace_keeps_old_cohort(tiny, store):
    import_cohort("tiny", tiny["clinical"], store=store)
    before = dump(store)
    _break(tiny["clinical"], 3, "rfs_months", "-1")
    assert import_cohort("tiny", tiny["clinical"], store=store, replace=True).status == "refused"
    assert dump(store) == before


def test_several_named_cohorts(tiny, store):
    import_cohort("a", tiny["clinical"], store=store)
    import_cohort("b", tiny["clinical"], split=SplitSettings(method="centre", validation_centres=("B",)), store=store)
    assert list_cohorts(store) == ["a", "b"]
    b = load_cohort("b", store)
    assert (b.patients.loc[b.patients["centre"] == "B", "split"] == "validation").all()
    assert delete_cohort("a", store) and list_cohorts(store) == ["b"]
    with pytest.raises(ValueError, match="No cohort named 'a'; stored cohorts: \\['b'\\]"):
        load_cohort("a", store)


def test_non_predictors_are_stored_but_not_loaded(tiny, store):
    table = read_table(tiny["clinical"])
    mapping = guess_mapping(table).with_predictors(["age", "BCLC"])
    import_cohort("tiny", table, mapping, store=store)
    cohort = load_cohort("tiny", store)
    assert list(cohort.clinical.columns) == ["age", "BCLC"]
    assert cohort.variables.set_index("name")["predictor"].to_dict()["sex"] is False or \
        not cohort.variables.set_index("name")["predictor"]["sex"]
    stored = store.query("SELECT count(DISTINCT variable) AS n FROM clinical WHERE cohort = 'tiny'")["n"].iloc[0]
    assert stored == 6


def test_chosen_label_applies_to_all_masks(tiny, store):
    result = import_cohort("tiny", tiny["clinical"], images=tiny["manifest"], label=2, store=store)
    assert result.n_images == 0
    assert {p.check for p in result.report.warnings} == {"label_absent", "patient_without_images"}


def test_validate_only_touches_nothing(tiny, store):
    before = dump(store)
    validation = validate_cohort(tiny["clinical"], images=tiny["manifest"])
    assert validation.report.ok and validation.n_patients == 24 and len(validation.images) == 56
    assert dump(store) == before


def test_hcc_tace_csv_imports_with_its_mess_reported(reference, store):
    table = read_table(reference / f"{HCC}_data_table.csv")
    mapping = remap(table, guess_mapping(table), time_unit="weeks")
    result = import_cohort("tace", table, mapping, store=store)
    assert result.ok and (result.n_patients, result.n_events) == (105, 45)
    missing = {p.column for p in result.report.warnings if p.check == "missing_values"}
    assert {"Tr_Size", "chemotherapy", "Interval_FU"} <= missing
    summary = cohort_summary(store).set_index("name")
    assert summary.loc["tace", "patients"] == 105 and summary.loc["tace", "events"] == 45
    cohort = load_cohort("tace", store)
    assert cohort.patients["time"].max() == pytest.approx(229.857143 * 7 * 12 / 365.25, rel=1e-6)
    assert list(cohort.clinical["BCLC"].cat.categories) == ["Stage-A", "Stage-B", "Stage-C", "Stage-D"]
    assert cohort.clinical["Tr_Size"].isna().sum() == 52


def test_hcc_tace_xlsx_imports_the_same_cohort(reference, store):
    coding = EventCoding(("1",), ("0",))
    mapping = ColumnMapping("TCIA_ID", "TTP", "weeks", "Censored_0_progressed_1", coding)
    csv = import_cohort("csv", reference / f"{HCC}_data_table.csv", mapping, store=store)
    xlsx = import_cohort("xlsx", reference / f"{HCC}.xlsx", mapping, sheet="data table", store=store)
    assert (xlsx.n_patients, xlsx.n_events) == (105, 45)
    assert xlsx.fingerprint == csv.fingerprint  # numbers are stored in one spelling ("197" vs "197.0")
    pd.testing.assert_frame_equal(load_cohort("csv", store).patients, load_cohort("xlsx", store).patients)


def test_import_sample_is_idempotent(tmp_path, store):
    folder = make_cohort(tmp_path / "sample_data", n=20)["folder"]
    assert import_sample(store, folder=folder) == "sample"
    cohort = load_cohort("sample", store)
    assert len(cohort.patients) == 20 and cohort.split_spec == {"method": "random", "seed": 42, "train_fraction": 0.7,
                                                                "stratified_by": "event"}
    before = dump(store)
    assert import_sample(store, folder=folder) == "sample"
    assert dump(store) == before


def test_import_sample_without_files_names_the_command(tmp_path, store):
    with pytest.raises(FileNotFoundError, match="python -m hccdash.sample"):
        import_sample(store, folder=tmp_path)


def test_mapping_survives_json(tiny):
    mapping = guess_mapping(read_table(tiny["clinical"]))
    assert ColumnMapping.from_dict(mapping.to_dict()) == mapping
    assert dataclasses.replace(mapping, centre_col=None).centre_col is None


def test_refused_table_leaves_a_stored_cohort_untouched(tmp_path):
    store = Store()
    good = read_table(write_file(tmp_path, "good.csv", b"id,t,e\n" + b"".join(b"P%d,%d,%d\n" % (i, i + 1, i % 2) for i in range(20))))
    assert import_cohort("c", good, guess_mapping(good), store=store).ok
    before = dump(store)
    bad = read_table(write_file(tmp_path, "bad.csv", b"id,t,e\nA,-1,1\nB,inf,0\nC,2,maybe\nD,1e308,1\nE,1201,0\n"))
    mapping = remap(bad, guess_mapping(bad), id_col="id", time_col="t", time_unit="months", event_col="e",
                    event_coding=parse_event_values("1,0"))
    result = import_cohort("c", bad, mapping, replace=True, store=store)
    assert not result.ok
    checks = {(p.check, p.row) for p in result.report.errors}
    assert {("negative_time", 2), ("non_numeric_time", 3), ("unknown_event", 4), ("impossible_time", 5),
            ("impossible_time", 6)} <= checks
    assert dump(store) == before


@pytest.mark.parametrize("name, message", [
    ("  ", r"A cohort name must have 1 to 100 characters, got ''$"),
    ("a\nb", r"control or invisible characters \(U\+000A\)"),
    ("nul\x00x", r"U\+0000"),
    ("\u202eevil", r"U\+202E"),
    ("x" * 10000, r"1 to 100 characters, got 'x{40}\.\.\. \(10000 characters\)'$"),
])
def test_cohort_names_blank_with_hidden_characters_or_huge_are_refused(tmp_path, name, message):
    table = read_table(write_file(tmp_path, "c.csv", b"id,t,e\nA,1,1\nB,2,0\n"))
    store = Store()
    before = dump(store)
    with pytest.raises(ValueError, match=message):
        import_cohort(name, table, guess_mapping(table), store=store)
    assert dump(store) == before


def test_quotes_slashes_and_unicode_names_round_trip(tmp_path):
    table = read_table(write_file(tmp_path, "c.csv", b"id,t,e\nA,1,1\nB,2,0\nC,3,1\nD,4,0\n"))
    mapping = remap(table, guess_mapping(table), id_col="id", time_col="t", time_unit="months", event_col="e",
                    event_coding=parse_event_values("1,0"))
    names = ["q'\"x", "../../etc", "ünï 😀", "x'); DROP TABLE cohorts;--"]
    for name in names:
        assert import_cohort(name, table, mapping, split=SplitSettings(method="none")).ok
    assert sorted(list_cohorts()) == sorted(names)
    assert all(len(load_cohort(n).patients) == 4 for n in names)

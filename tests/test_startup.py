from hccdash import startup
from hccdash.cohort import list_cohorts, load_cohort
from hccdash.store import Store


def test_first_start_imports_the_sample_cohort_once(hccdash_home, monkeypatch):
    monkeypatch.setenv("HCCDASH_SAMPLE", "1")
    report = startup.prepare()
    assert report.sample_imported
    cohort = load_cohort("sample")
    assert len(cohort.patients) == 150
    assert set(cohort.patients["split"].dropna()) == {"train", "validation"}
    assert set(cohort.images["phase"]) == {"arterial", "portal", "delayed"}
    again = startup.prepare()
    assert not again.sample_imported and again.sample_cases_loaded == 0
    assert list_cohorts(Store()) == ["sample"]


def test_sample_import_can_be_switched_off(hccdash_home):
    assert not startup.prepare().sample_imported
    assert list_cohorts(Store()) == []

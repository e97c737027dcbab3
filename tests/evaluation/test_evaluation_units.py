"""Saving the evaluated model (Evaluation page) gives it the stored cohort's units and labels."""

from __future__ import annotations

from hccdash.cohort import EventCoding, guess_mapping, import_cohort, read_table, remap


def _store_cohort(builder, folder, units: dict[str, str], labels: dict[str, str]) -> str:
    """The builder's patients stored as cohort "synthetic", with units and labels."""
    table = builder.inputs.clinical.astype(object).join(builder.inputs.patients[["time", "event"]])
    path = folder / "synthetic.csv"
    table.rename(columns={"time": "rfs_months", "event": "recurrence"}).rename_axis("patient_id").to_csv(path)
    frame = read_table(path)
    mapping = remap(frame, guess_mapping(frame), id_col="patient_id", time_col="rfs_months", time_unit="months",
                    event_col="recurrence", event_coding=EventCoding(("1",), ("0",)))
    assert import_cohort("synthetic", frame, mapping.with_units(units, labels)).ok
    return "synthetic"


def test_evaluated_model_is_saved_with_the_cohorts_units(builder, rfs_result, rfs_evaluation, tmp_path):
    from hccdash import calculator
    from hccdash.evaluation import sources
    from hccdash.registry import pipelines, registry

    cohort = _store_cohort(builder, tmp_path, {"AFP": "ng/mL", "age": "years"},
                           {"AFP": "Alpha-fetoprotein", "BCLC": "BCLC stage"})
    pipelines.save_evaluated(rfs_result, rfs_evaluation, builder, cohort, "evaluated", "",
                             sources.chosen_cutoff(rfs_evaluation))
    assert list(rfs_result.model.clinical_.selected_) == ["AFP", "BCLC"]  # age was not kept
    fields = {f.name: f for f in calculator.form_fields(registry.json_model("evaluated"))}
    assert set(fields) == {"AFP", "BCLC", "rad_score"}
    assert fields["AFP"].title == "Alpha-fetoprotein (ng/mL)"
    assert fields["BCLC"].title == "BCLC stage"
    assert fields["rad_score"].title == "rad_score"

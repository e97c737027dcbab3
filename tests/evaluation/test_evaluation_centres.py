"""By centre: per-centre metrics on the centre's own patients; leave-one-centre-out fits on
the other centres' rows only."""

from __future__ import annotations

import pytest

from hccdash import stats
from hccdash.evaluation import centres
from hccdash.modeling.pipeline import RadiomicsNomogram

from evaluation_fixtures import QUICK


def test_metrics_by_centre_use_each_centres_patients(rfs_evaluation, builder):
    table = rfs_evaluation.by_centre.set_index(["model", "split", "centre"])
    p = rfs_evaluation.predictions[("combined", "validation")]
    in_b = (builder.inputs.patients["centre"].reindex(p.ids) == "B").to_numpy()
    row = table.loc[("combined", "validation", "B")]
    assert row["n"] == in_b.sum()
    assert row["c_index"] == pytest.approx(stats.harrell_c(p.time[in_b], p.event[in_b], p.lp[in_b]))


def test_leave_one_centre_out_fits_only_on_the_other_centres(builder, monkeypatch):
    fitted_on, models = [], []

    class Spy(RadiomicsNomogram):
        def fit(self, X, y):
            fitted_on.append(set(X.index))
            models.append(self)
            return super().fit(X, y)

    monkeypatch.setattr(centres, "RadiomicsNomogram", Spy)
    table, folds = centres.leave_one_centre_out(builder, QUICK, ("AFP",), builder.inputs.patients["centre"])
    centre = builder.inputs.patients["centre"]
    assert [f.centre for f in folds] == ["B", "A"]
    for fold, rows in zip(folds, fitted_on):
        assert rows == set(centre.index[centre != fold.centre])  # every other centre's patient, training or not
        assert rows.isdisjoint(centre.index[centre == fold.centre])
        assert set(fold.evaluated_ids) == set(centre.index[centre == fold.centre])
    combined = table[table["model"] == "combined"].set_index("centre")
    assert combined.loc["B", "n"] == (centre == "B").sum()
    assert combined.loc["A", "n_fitted"] == (centre == "B").sum()
    for fold, model in zip(folds, models):  # each centre's C: the model fitted without it, on its patients
        held = builder.inputs.patients.loc[fold.evaluated_ids]
        lp = model.predict(builder.frame(fold.evaluated_ids, ("AFP",)))
        assert combined.loc[fold.centre, "c_index"] == pytest.approx(stats.harrell_c(held["time"], held["event"], lp))


def test_leave_one_centre_out_lists_every_model_and_says_why_one_is_missing(builder, rfs_result):
    """Refitted on centre B alone, backward elimination keeps no clinical variable: the clinical
    model's row is still there, with the reason it was not evaluated."""
    table, _ = centres.leave_one_centre_out(builder, rfs_result.settings, rfs_result.clinical_vars,
                                            builder.inputs.patients["centre"])
    assert sorted(map(tuple, table[["centre", "model"]].to_numpy())) == [
        (c, m) for c in ("A", "B") for m in ("clinical", "combined", "radiomics")]
    left_out = table[table["c_index"].isna()]
    assert len(left_out) >= 1  # this cohort has one (centre A left out: the clinical model keeps nothing)
    assert all("no clinical variable was selected" in note for note in left_out["note"])


def test_by_centre_tables_show_no_empty_cell_as_none(rfs_evaluation):
    """A horizon a centre cannot reach and a note-less row were shown as "None"."""
    from hccdash.display import for_display

    table = rfs_evaluation.by_centre
    assert table.isna().any().any()  # AUC at a horizon centre B does not reach, notes of estimable rows
    shown = for_display(table, missing="–")
    assert not shown.isna().any().any()
    assert "–" in set(shown.to_numpy().ravel())
    column = next(c for c in table.columns if c.startswith("AUC") and table[c].isna().any())
    row = table[column].first_valid_index()
    assert shown.at[row, column] == f"{table.at[row, column]:.4g}"
    assert shown.at[row, "c_index"] == table.at[row, "c_index"]  # a complete column keeps its numbers

"""Pairwise model comparisons of an evaluation: each row is the R-checked statistic
(c_difference_test, reclassification_at / reclassification) on the two models' predictions of
the same patients."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from hccdash import stats
from hccdash.evaluation.comparisons import reclassification_table


def test_c_differences_of_each_pair_and_set(rfs_evaluation):
    e = rfs_evaluation
    table = e.c_differences
    assert list(zip(table["split"], table["model_a"], table["model_b"]))[:3] == [
        ("train", "radiomics", "clinical"), ("train", "combined", "clinical"), ("train", "combined", "radiomics")]
    assert set(table["split"]) == {"train", "validation"}
    row = table.set_index(["split", "model_a", "model_b"]).loc[("validation", "combined", "clinical")]
    a, b = e.predictions[("combined", "validation")], e.predictions[("clinical", "validation")]
    common = a.ids.intersection(b.ids, sort=False)
    ia, ib = a.ids.get_indexer(common), b.ids.get_indexer(common)
    test = stats.c_difference_test(a.time[ia], a.event[ia], a.lp[ia], b.lp[ib])
    assert (row["c_a"], row["difference"], row["se"], row["p"]) == pytest.approx(
        (test.c_a, test.difference, test.se, test.p))
    assert row["n"] == common.size


def test_reclassification_at_each_horizon(rfs_evaluation):
    e = rfs_evaluation
    table = e.reclassification
    assert set(table["horizon"]) == set(e.horizons)
    h = e.horizons[-1]
    row = table.set_index(["split", "model_a", "model_b", "horizon"]).loc[("train", "combined", "clinical", h)]
    a, b = e.predictions[("combined", "train")], e.predictions[("clinical", "train")]
    common = a.ids.intersection(b.ids, sort=False)
    ia, ib = a.ids.get_indexer(common), b.ids.get_indexer(common)
    expected = stats.reclassification_at(a.time[ia], a.event[ia], b.event_probability(h)[ib],
                                         a.event_probability(h)[ia], h)
    assert (row["nri"], row["idi"], row["idi_se"], row["excluded"]) == pytest.approx(
        (expected.nri, expected.idi, expected.idi_se, expected.excluded))


def test_logistic_reclassification_and_undefined_rows(er_evaluation, rfs_evaluation):
    table = er_evaluation.reclassification
    assert table["horizon"].isna().all() and len(table) == 3 * len(er_evaluation.splits)
    row = table.set_index(["split", "model_a", "model_b"]).loc[("validation", "combined", "clinical")]
    a, b = er_evaluation.predictions[("combined", "validation")], er_evaluation.predictions[("clinical", "validation")]
    common = a.ids.intersection(b.ids, sort=False)
    expected = stats.reclassification(a.y[a.ids.get_indexer(common)], b.prob[b.ids.get_indexer(common)],
                                      a.prob[a.ids.get_indexer(common)])
    assert row["nri"] == pytest.approx(expected.nri) and row["nri_p"] == pytest.approx(expected.nri_p)
    assert er_evaluation.c_differences.empty  # logistic models: DeLong instead
    # a set without events: the NRI is undefined, so the row keeps n and stays empty
    h = rfs_evaluation.horizons[0]
    none = {key: dataclasses.replace(p, event=np.zeros_like(p.event))
            for key, p in rfs_evaluation.predictions.items() if key[1] == "train"}
    empty = reclassification_table(none, [h])
    assert len(empty) == 3 and empty["nri"].isna().all() and (empty["n"] > 0).all()


def test_report_holds_the_comparisons_and_the_ph_test(rfs_evaluation):
    from hccdash.evaluation.report import report_content

    e = rfs_evaluation
    tables = dict(report_content(e, "t").tables)
    for heading, frame in [
            ("Difference of correlated C-indices, model A - model B (infinitesimal jackknife)", e.c_differences),
            ("Proportional hazards (cox.zph, training set)", e.proportional_hazards.tests),
            ("Reclassification of model A over model B (category-free NRI, IDI)", e.reclassification)]:
        pd.testing.assert_frame_equal(tables[heading], e.named(frame))

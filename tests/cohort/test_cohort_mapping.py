"""Guessed column mappings and the editable variables table."""

from __future__ import annotations

import pandas as pd
import pytest

from hccdash.cohort.tables import read_table
from hccdash.cohort.mapping import (
    ColumnMapping, guess_kind, guess_mapping, guess_time_unit, natural_levels, remap, variables_table,
    with_variables_table,
)

HCC_CSV = "hcc/HCC-TACE-Seg_clinical_data-V2_data_table.csv"


def test_guess_mapping_of_sample_like_table(tiny):
    mapping = guess_mapping(read_table(tiny["clinical"]))
    assert (mapping.id_col, mapping.time_col, mapping.time_unit, mapping.event_col, mapping.centre_col) == (
        "patient_id", "rfs_months", "months", "recurrence", "centre")
    assert mapping.event_coding.event == ("1",)
    kinds = {v.name: v.kind for v in mapping.variables}
    assert kinds == {"age": "continuous", "sex": "categorical", "AFP": "continuous", "BCLC": "ordinal",
                     "Child-Pugh": "categorical", "tumour_number": "ordinal"}
    assert mapping.predictors == tuple(kinds)


def test_guess_mapping_of_hcc_tace(reference):
    mapping = guess_mapping(read_table(reference / HCC_CSV))
    assert (mapping.id_col, mapping.time_col, mapping.event_col) == ("TCIA_ID", "TTP", "Censored_0_progressed_1")
    assert (mapping.event_coding.event, mapping.event_coding.censor) == (("1",), ("0",))
    specs = {v.name: v for v in mapping.variables}
    assert specs["TNM"].kind == "ordinal"
    assert specs["TNM"].levels == ("Stage-I", "Stage-II", "Stage-IIIA", "Stage-IIIB", "Stage-IIIC", "Stage-IVA", "Stage-IVB")
    assert specs["CLIP"].levels == ("Stage_ 0-2", "Stage_3", "Stage_4-6")
    assert specs["age"].kind == "continuous" and specs["hepatitis"].kind == "categorical"
    # the other outcome (overall survival and death) is kept but not offered as a predictor
    assert not specs["OS"].predictor and not specs["Death_1_StillAliveorLostToFU_0"].predictor
    assert specs["AFP"].predictor


@pytest.mark.parametrize("name, unit", [("TTP_days", "days"), ("fu_weeks", "weeks"), ("os_years", "years"),
                                        ("rfs_months", "months"), ("TTP", "months")])
def test_time_unit_from_name(name, unit):
    assert guess_time_unit(name) == unit


def test_guess_kind_and_levels():
    assert guess_kind(pd.Series(["1", "2", "3", "2"]), "x") == "ordinal"
    assert guess_kind(pd.Series([str(v / 3) for v in range(30)]), "x") == "continuous"
    assert guess_kind(pd.Series(["Stage I", "Stage II", "Stage III"]), "x") == "ordinal"
    assert guess_kind(pd.Series(["RFA", "MWA", "resection", "TACE"]), "treatment") == "categorical"
    assert natural_levels(pd.Series(["Stage_10", "Stage_2", "2.0", None])) == ("2", "Stage_2", "Stage_10")


def test_variables_table_round_trip_and_edit(tiny):
    table = read_table(tiny["clinical"])
    mapping = guess_mapping(table)
    edited = variables_table(mapping)
    edited.loc[edited["name"] == "tumour_number", "kind"] = "continuous"
    edited.loc[edited["name"] == "sex", "predictor"] = False
    edited.loc[edited["name"] == "BCLC", "levels"] = "B | A | 0"
    new = with_variables_table(mapping, edited)
    specs = {v.name: v for v in new.variables}
    assert specs["tumour_number"].kind == "continuous" and specs["tumour_number"].levels == ()
    assert "sex" not in new.predictors
    assert specs["BCLC"].levels == ("B", "A", "0")
    edited.loc[0, "kind"] = "nominal"
    with pytest.raises(ValueError, match="row 1 .*kind"):
        with_variables_table(mapping, edited)


def test_remap_moves_columns_between_roles(tiny):
    table = read_table(tiny["clinical"])
    mapping = remap(table, guess_mapping(table), centre_col=None, time_col="age", time_unit="years")
    names = [v.name for v in mapping.variables]
    assert "centre" in names and "rfs_months" in names and "age" not in names


def test_mapping_rejects_roles_sharing_a_column():
    with pytest.raises(ValueError, match="different columns"):
        ColumnMapping("id", "id", "months", "event", None)
    with pytest.raises(ValueError, match="time unit"):
        ColumnMapping("id", "t", "fortnights", "event", None)

"""Event codings: explicit, from the column name, from the values."""

from __future__ import annotations

import pandas as pd
import pytest

from hccdash.cohort.events import EventCoding, guess_event_coding, parse_event_values


def test_parse_event_values_with_alternatives():
    coding = parse_event_values("Progressed|PD, censored")
    assert coding.event == ("progressed", "pd")
    assert coding.censor == ("censored",)
    assert coding.code(" PD ") == 1 and coding.code("Censored") == 0 and coding.code("other") is None


@pytest.mark.parametrize("text", ["1", "1,0,2", ",0", "1,1"])
def test_parse_event_values_rejects_bad_text(text):
    with pytest.raises(ValueError):
        parse_event_values(text)


def test_numeric_spellings_are_one_code():
    coding = EventCoding(("1",), ("0",))
    codes = coding.encode(pd.Series(["1.0", 0, "0", " 1", None, "2"]))
    assert codes.tolist()[:4] == [1, 0, 0, 1]
    assert codes.isna().tolist()[4:] == [True, True]


@pytest.mark.parametrize(
    "values, column, event, censor",
    [
        ([0, 1, 1], "Censored_0_progressed_1", ("1",), ("0",)),
        ([0, 1, 1], "Death_1_StillAliveorLostToFU_0", ("1",), ("0",)),
        ([0, 1, 1], "censored", ("0",), ("1",)),  # 1 = censored
        (["yes", "no"], "recurrence", ("yes",), ("no",)),
        (["True", "False"], "event", ("true",), ("false",)),
        (["Recurrence", "censored"], "status", ("recurrence",), ("censored",)),
        (["progressed", "stable disease"], "outcome", ("progressed",), ("stable disease",)),
    ],
)
def test_guess_event_coding(values, column, event, censor):
    coding = guess_event_coding(values, column)
    assert (coding.event, coding.censor) == (event, censor)


def test_unknowable_coding_is_none():
    assert guess_event_coding(["a", "b", "c"], "status") is None


@pytest.mark.parametrize("values", [["2", "1", "2"], ["-1", "1"], ["1", "9"]])
def test_event_codes_beside_an_unknown_number_are_not_guessed(values):
    # R's Surv codes 1 = censored, 2 = event: guessing 1 = event would flip every outcome
    assert guess_event_coding(pd.Series(values), "status") is None

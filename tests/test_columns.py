"""The one check that a table has every column a fitted step needs (hccdash.columns)."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from hccdash.columns import check_columns, require_columns

TABLE = pd.DataFrame({"c": [3.0], "a": [1.0], "b": [2.0]})


def test_columns_come_back_in_fitted_order():
    picked = require_columns(TABLE, pd.Index(["a", "b", "c"]), needed_by="the Cox model")
    assert list(picked.columns) == ["a", "b", "c"]
    assert picked.iloc[0].tolist() == [1.0, 2.0, 3.0]
    assert check_columns(TABLE, ("b", "a"), needed_by="the Cox model") == ["b", "a"]


def test_message_names_the_first_five_missing_their_count_and_the_needer():
    fitted = ["a", *(f"m{i}" for i in range(1, 8)), "b"]
    with pytest.raises(ValueError) as error:
        require_columns(TABLE, fitted, what="clinical variable", table="The clinical table",
                        needed_by="the clinical model")
    message = str(error.value)
    assert message == ("The clinical table lacks the clinical variable(s) ['m1', 'm2', 'm3', 'm4', 'm5', ...] "
                       "(7 missing), needed by the clinical model")
    assert "m6" not in message


def test_check_columns_refuses_as_require_columns_does():
    with pytest.raises(ValueError, match=re.escape("The table lacks the feature(s) ['z'] (1 missing), needed by PCA")):
        check_columns(TABLE, ["a", "z"], needed_by="PCA")

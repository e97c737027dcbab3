"""A damaged store file: a clear message from the CLI, and the file left as it was."""

from __future__ import annotations

import pytest

from hccdash import paths
from hccdash.cli import main
from hccdash.store import Store, StoreOpenError


def test_a_file_that_is_not_a_store_is_named_and_kept(capsys):
    path = paths.store_path()
    path.write_bytes(b"not a database")
    with pytest.raises(StoreOpenError, match="cannot be opened"):
        Store()
    assert main(["cohorts"]) == 2
    err = capsys.readouterr().err
    assert f"error: The store {path} cannot be opened" in err and "HCCDASH_HOME" in err
    assert path.read_bytes() == b"not a database"

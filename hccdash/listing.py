"""What a listing command (``cohorts``, ``models``) prints: a JSON list of objects or an aligned
text table. Shared by the command modules of each step, below all of them."""

from __future__ import annotations


def print_listing(table, as_json: bool, empty_message: str) -> None:
    """A listing command's output: a JSON list of objects, or an aligned text table."""
    if as_json:
        print(table.to_json(orient="records", date_format="iso"))
    elif table.empty:
        print(empty_message)
    else:
        print(table.to_string(index=False))

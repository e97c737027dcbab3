"""The validation report of an import: every problem, where it is and what will be done.

Severity ``error`` refuses the whole import (nothing is stored); ``warning`` imports with
the stated ``action``. Row numbers follow the spreadsheet the user sees: the header is
row 1, so the first data row is row 2 (for CSV, XLSX and manifest files alike).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass

import pandas as pd

ERROR = "error"
WARNING = "warning"
MAX_LISTED = 10  # rows / ids listed in one message before "..."


@dataclass(frozen=True)
class Problem:
    """One finding of the validation."""

    severity: str  # error | warning
    check: str  # short code, e.g. duplicate_id, negative_time, empty_mask
    message: str
    action: str  # what the import does about it
    file: str = ""
    row: int | None = None  # spreadsheet row (header = 1)
    column: str = ""
    value: str = ""
    patient_id: str = ""

    def __post_init__(self) -> None:
        if self.severity not in (ERROR, WARNING):
            raise ValueError(f"severity must be '{ERROR}' or '{WARNING}', got {self.severity!r}")

    def where(self) -> str:
        """``file row 5, column 'age', value 'abc', patient 'P1'`` (parts that apply)."""
        parts = [self.file] if self.file else []
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column:
            parts.append(f"column '{self.column}'")
        if self.value != "":
            parts.append(f"value '{self.value}'")
        if self.patient_id:
            parts.append(f"patient '{self.patient_id}'")
        return ", ".join(parts)

    def to_text(self) -> str:
        where = self.where()
        return f"{self.severity.upper():7s} {self.check}: {where + ': ' if where else ''}{self.message} -> {self.action}"


def listed(items: Iterable[object]) -> str:
    """``2, 5, 9`` or ``2, 5, 9, ... (14 in all)`` for long lists."""
    items = [str(i) for i in items]
    head = ", ".join(items[:MAX_LISTED])
    return head if len(items) <= MAX_LISTED else f"{head}, ... ({len(items)} in all)"


@dataclass(frozen=True)
class Report:
    """All problems of one validation, errors first."""

    problems: tuple[Problem, ...] = ()

    def __post_init__(self) -> None:
        ordered = sorted(self.problems, key=lambda p: (p.severity != ERROR, p.file, p.row or 0))
        object.__setattr__(self, "problems", tuple(ordered))

    @property
    def errors(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity == ERROR)

    @property
    def warnings(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity == WARNING)

    @property
    def ok(self) -> bool:
        """True when nothing refuses the import."""
        return not self.errors

    def __add__(self, other: "Report") -> "Report":
        return Report(self.problems + other.problems)

    def to_frame(self) -> pd.DataFrame:
        """One row per problem, for the page and CSV download: what and where first (severity,
        check, column, message), the file name last (it is the same on most rows)."""
        columns = ["severity", "check", "column", "message", "action", "row", "value", "patient_id", "file"]
        frame = pd.DataFrame([asdict(p) for p in self.problems], columns=columns)
        return frame.astype({"row": "Int64"})

    def to_text(self) -> str:
        """Plain text for the CLI: a summary line, then one line per problem."""
        head = f"Validation: {len(self.errors)} error(s), {len(self.warnings)} warning(s)"
        verdict = "import refused" if self.errors else "import allowed"
        return "\n".join([f"{head}: {verdict}.", *(p.to_text() for p in self.problems)])

    def to_records(self) -> list[dict]:
        """JSON-ready list (stored with the cohort)."""
        return [asdict(p) for p in self.problems]

    @classmethod
    def from_records(cls, records: Iterable[dict]) -> "Report":
        return cls(tuple(Problem(**r) for r in records))

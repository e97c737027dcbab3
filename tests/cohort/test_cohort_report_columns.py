"""The validation report as the import page shows it: which column comes before the message,
the (repeated) file name last, and no field of Problem left out."""

from __future__ import annotations

from dataclasses import fields

from hccdash.cohort.validate import Problem, Report


def test_report_frame_puts_the_column_before_the_message():
    report = Report((Problem("warning", "missing_values", "8 of 105 values missing", "kept as missing",
                             file="clinical.csv", column="AFP"),))
    frame = report.to_frame()
    assert list(frame.columns[:4]) == ["severity", "check", "column", "message"]
    assert frame.columns[-1] == "file"
    assert sorted(frame.columns) == sorted(f.name for f in fields(Problem))
    assert frame.loc[0, "column"] == "AFP"

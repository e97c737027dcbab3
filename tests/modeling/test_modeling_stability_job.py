"""The selection-stability job runner on a stored cohort."""

from __future__ import annotations

from dataclasses import dataclass, field

from hccdash.modeling import stability_job
from hccdash.settings import SelectionSettings, Settings


@dataclass
class _Context:
    """The part of hccdash.jobs.JobContext the runner uses, recording progress."""

    spec: dict
    reports: list = field(default_factory=list)
    cancel_after: int | None = None

    def progress(self, n_total=None, n_done=None, n_failed=None, message=None):
        self.reports.append((n_total, n_done, message))

    def cancel_requested(self) -> bool:
        return self.cancel_after is not None and len(self.reports) > self.cancel_after


def _spec(cohort: str, source: str, n: int) -> dict:
    settings = Settings(selection=SelectionSettings(mrmr_k=8, lasso_folds=5))
    return {"cohort": cohort, "source": source, "settings": settings.to_dict(), "n_resamples": n,
            "clinical_vars": []}


def test_runner_reports_progress_and_frequencies(stored_cohort, feature_source):
    context = _Context(_spec(stored_cohort, feature_source, 4))
    result = stability_job.run(context)
    assert result["n_resamples"] == 4
    assert result["stability"] and all(0 < v <= 1 for v in result["stability"].values())
    assert all(v * 4 == round(v * 4) for v in result["stability"].values())
    assert context.reports[0][0] == 4 and context.reports[-1][1] == 4


def test_runner_stops_when_cancelled(stored_cohort, feature_source):
    context = _Context(_spec(stored_cohort, feature_source, 50), cancel_after=2)
    assert stability_job.run(context) == {"cancelled": True}
    assert len(context.reports) < 10


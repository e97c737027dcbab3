"""A model's radiomic features for a stored cohort's patients.

The rad-score of a model needs its selected features, named ``phase.feature`` (pyradiomics
names), or plain names (``X201288_at``) for a model fitted on a bring-your-own feature table.
They come either from the store's extraction cache, computed with the **model's own**
extraction settings (the ``radiomics.extraction`` of its model file; the cache is keyed by
image, mask and settings, so what was extracted before is reused), or from a feature table
imported for the cohort (``source``). :func:`plan_features` says, without changing anything,
which of the patients' cases are extracted, which are still to extract (``pending``), which
failed and which patients lack an image of a needed phase; :func:`extract_pending` (the CLI) or
:func:`start_pending_extraction` (the page, a background job) extracts the pending ones;
:func:`feature_values` reads the values back. A plain feature name matches the stored
feature of that name when exactly one phase has it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from hccdash.columns import missing_columns_message
from hccdash.extraction.engine import RunSummary, cases_from_images, run_extraction
from hccdash.extraction.params import ExtractionSpec
from hccdash.extraction.matrices import case_features, cohort_cases, feature_matrix, to_matrix
from hccdash.registry.json_model import JsonModel
from hccdash.store import Store


def feature_phases(model: JsonModel) -> pd.DataFrame:
    """The model's features: name, phase ("" for a plain name) and feature (the name after the phase)."""
    names = list(model.features.index)
    phases = [n.split(".", 1)[0] if "." in n else "" for n in names]
    return pd.DataFrame({"name": names, "phase": phases,
                         "feature": [n.split(".", 1)[1] if "." in n else n for n in names]})


@dataclass(frozen=True)
class FeaturePlan:
    """Where the model's features for ``ids`` come from and what extraction would add.

    ``cases``: the patients' reader-1 image rows of the needed phases with ``case_key``,
    ``status`` (done / failed / pending) and ``error`` (empty for an imported ``source``);
    ``no_image``: (patient_id, phase) pairs without such an image row."""

    cohort: str
    ids: pd.Index
    names: pd.DataFrame
    source: str | None
    spec: ExtractionSpec | None
    cases: pd.DataFrame
    no_image: pd.DataFrame

    @property
    def needed(self) -> bool:
        return not self.names.empty

    @property
    def pending(self) -> pd.DataFrame:
        """Cases to extract (none from an imported table)."""
        return self.cases[self.cases["status"] == "pending"] if len(self.cases) else self.cases

    def description(self) -> str:
        """Where the features come from, in words."""
        if not self.needed:
            return "no radiomic feature (the model has no rad-score)"
        if self.source is not None:
            return f"imported feature table {self.source!r}"
        return f"extracted with the model's settings (hash {self.spec.settings_hash[:12]})"

    def check(self) -> None:
        """ValueError naming the patients whose features cannot be had: no image of a needed phase,
        or an extraction that failed."""
        problems = [f"patient {r.patient_id} has no {r.phase!r} image (reader 1) to extract the model's "
                    f"{r.phase} features from" for r in self.no_image.itertuples(index=False)]
        if len(self.cases):
            failed = self.cases[self.cases["status"] == "failed"]
            problems += [f"patient {r.patient_id}, phase {r.phase!r}: extraction with the model's settings failed "
                         f"({r.error})" for r in failed.itertuples(index=False)]
        if problems:
            shown = problems[:5] + ([f"... and {len(problems) - 5} more"] if len(problems) > 5 else [])
            raise ValueError(f"Cohort {self.cohort!r}: the model's radiomic features cannot be had: " + "; ".join(shown))


def plan_features(model: JsonModel, cohort: str, ids: pd.Index, source: str | None = None,
                  store: Store | None = None) -> FeaturePlan:
    """The :class:`FeaturePlan` of ``model``'s features for patients ``ids`` of ``cohort``."""
    store = store or Store()
    names = feature_phases(model) if model.rad_score_name else feature_phases(model).iloc[:0]
    empty = pd.DataFrame(columns=["patient_id", "phase", "case_key", "status", "error"])
    no_image = pd.DataFrame(columns=["patient_id", "phase"])
    if names.empty or source is not None:
        return FeaturePlan(cohort, ids, names, source, None, empty, no_image)
    plain = names.loc[names["phase"] == "", "name"].tolist()
    if plain:
        raise ValueError(f"Model {model.name}: feature(s) {plain[:5]} are named without a phase, so they came from "
                         "an imported table, not from images: validate with the cohort's imported feature table")
    spec = ExtractionSpec.from_dict(model.extraction)
    phases = list(dict.fromkeys(names["phase"]))
    cases = cohort_cases(cohort, spec, reader="1", phases=phases, store=store)
    cases = cases[cases["patient_id"].isin(ids)].reset_index(drop=True)
    have = set(zip(cases["patient_id"], cases["phase"]))
    no_image = pd.DataFrame([(p, ph) for p in ids for ph in phases if (p, ph) not in have],
                            columns=["patient_id", "phase"])
    return FeaturePlan(cohort, ids, names, None, spec, cases, no_image)


def extract_pending(plan: FeaturePlan, *, n_jobs: int | None = None,
                    on_progress: Callable[[int, int, int], None] | None = None,
                    store: Store | None = None) -> RunSummary | None:
    """Extract the plan's pending cases in this process (cached cases are reused); None when
    nothing is pending. Run :meth:`FeaturePlan.check` first."""
    if plan.pending.empty:
        return None
    return run_extraction(cases_from_images(plan.pending, plan.spec), plan.spec, store=store, n_jobs=n_jobs,
                          on_progress=on_progress)


def start_pending_extraction(plan: FeaturePlan, store: Store | None = None) -> str:
    """Start a background extraction job of the plan's pending cases (the page polls it); the job id."""
    from hccdash.extraction.job import start_extraction

    return start_extraction(plan.cohort, plan.spec, case_keys=plan.pending["case_key"].tolist(), store=store)


def _resolve(names: pd.DataFrame, columns: pd.Index, where: str) -> dict[str, str]:
    """Stored column of each model feature: the same ``phase.feature``, or for a plain name the
    one stored feature of that name (ValueError naming the feature when none or several)."""
    stored = pd.Series(list(columns), index=list(columns), dtype=object)
    tails = stored.map(lambda c: c.split(".", 1)[1] if "." in c else c)
    chosen, absent = {}, []
    for row in names.itertuples(index=False):
        if row.name in stored.index:
            chosen[row.name] = row.name
            continue
        candidates = stored[tails == row.feature].tolist() if row.phase == "" else []
        if len(candidates) == 1:
            chosen[row.name] = candidates[0]
        elif len(candidates) > 1:
            raise ValueError(f"{where}: feature {row.name!r} is stored in several phases ({', '.join(candidates)}); "
                             "keep one phase in the imported table")
        else:
            absent.append(row.name)
    if absent:
        raise ValueError(missing_columns_message(absent, what="model's feature", table=where,
                                                 needed_by="the model's rad-score"))
    return chosen


def feature_values(plan: FeaturePlan, store: Store | None = None) -> pd.DataFrame:
    """The model's features (columns named as the model names them) for the plan's patients;
    ValueError naming a feature the store lacks or the first patient without a value."""
    if not plan.needed:
        return pd.DataFrame(index=plan.ids)
    store = store or Store()
    if plan.source is not None:
        matrix = feature_matrix(plan.cohort, source=plan.source, store=store)
        where = f"Imported feature table {plan.source!r} of cohort {plan.cohort!r}"
    else:
        plan.check()
        done = plan.cases[plan.cases["status"] == "done"]
        matrix = to_matrix(case_features(done, store, features=plan.names["feature"].unique().tolist()))
        where = f"The store (extraction with the model's settings, cohort {plan.cohort!r})"
    chosen = _resolve(plan.names, matrix.columns, where)
    values = matrix.reindex(plan.ids)[list(chosen.values())]
    values.columns = list(chosen)
    missing = values.isna()
    if missing.to_numpy().any():
        patient = missing.index[missing.any(axis=1)][0]
        absent = missing.columns[missing.loc[patient]].tolist()
        still = "" if plan.source is not None else "; extract the cohort with the model's settings first"
        raise ValueError(f"{where}: patient {patient} has no value for feature(s) {absent[:5]} "
                         f"({int(missing.any(axis=1).sum())} patient(s) lack some){still}")
    return values

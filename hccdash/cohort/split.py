"""Training / validation split of a cohort's patients.

- ``random``: stratified by event, ``train_fraction`` of each stratum to training
  (scikit-learn ``train_test_split(stratify=event, random_state=seed)`` on the patients
  sorted by id, so the split depends only on ids, events, seed and fraction, not on the
  row order of the file);
- ``centre``: patients of ``validation_centres`` form the validation set (external
  validation), all other centres the training set; patients without a centre get no split;
- ``none``: no split (all NULL).
"""

from __future__ import annotations

import pandas as pd
from sklearn.model_selection import train_test_split

from hccdash.cohort.validate import ERROR, WARNING, Problem
from hccdash.settings import SplitSettings

METHODS = ("random", "centre", "none")


def check_split_settings(settings: SplitSettings) -> None:
    """Raise ValueError naming a bad method, fraction or seed."""
    if settings.method not in METHODS:
        raise ValueError(f"split method must be one of {METHODS}, got {settings.method!r}")
    if settings.method == "random" and not 0 < settings.train_fraction < 1:
        raise ValueError(f"train fraction must lie strictly between 0 and 1, got {settings.train_fraction}")
    if settings.method == "random" and not 0 <= settings.seed < 2**32:
        raise ValueError(f"split seed must be a whole number from 0 to {2**32 - 1}, got {settings.seed}")


def split_patients(patients: pd.DataFrame, settings: SplitSettings | None = None) -> tuple[pd.Series, list[Problem]]:
    """'train' / 'validation' / None per patient (``patients`` indexed by id with ``event``, ``centre``).

    Problems: errors for too few patients for the fraction, a centre split without
    centres or with unknown validation centres, or a split leaving one side empty; warnings for patients without a centre
    and for a side without events.
    """
    settings = settings or SplitSettings()
    check_split_settings(settings)
    problems: list[Problem] = []
    split = pd.Series(None, index=patients.index, dtype=object, name="split")
    if settings.method == "none" or patients.empty:
        return split, problems
    if settings.method == "random":
        ids = patients.sort_index()
        strata = ids["event"] if ids["event"].value_counts().min() >= 2 else None
        if strata is None:
            problems.append(Problem(WARNING, "split_unstratified", "fewer than 2 patients in an event group",
                                    "random split without stratification", column="event"))
        try:
            train, _ = train_test_split(ids.index.to_numpy(), train_size=settings.train_fraction,
                                        random_state=settings.seed, stratify=strata)
        except ValueError as exc:  # too few patients for this fraction (and strata)
            problems.append(Problem(ERROR, "split_too_small",
                                    f"{len(ids)} patient(s) cannot be split with train fraction "
                                    f"{settings.train_fraction}: {exc}",
                                    "import refused; add patients, change the fraction or use no split",
                                    value=str(settings.train_fraction)))
            return split, problems
        split[:] = "validation"
        split.loc[train] = "train"
    else:
        centres = patients["centre"]
        known = sorted(set(centres.dropna()))
        wanted = [str(c) for c in settings.validation_centres]
        unknown = [c for c in wanted if c not in known]
        if not wanted or unknown:
            problems.append(Problem(ERROR, "split_centres",
                                    f"validation centre(s) {unknown or 'not given'}; centres in the cohort: {known or 'none'}",
                                    "import refused", column="centre", value=", ".join(unknown)))
            return split, problems
        split[centres.notna()] = "train"
        split[centres.isin(wanted)] = "validation"
        for pid in centres.index[centres.isna()]:
            problems.append(Problem(WARNING, "split_no_centre", "centre missing", "patient left out of both splits",
                                    column="centre", patient_id=str(pid)))
    for side in ("train", "validation"):
        members = split == side
        if not members.any():
            why = (f": every centre ({', '.join(known)}) is a validation centre; a centre split needs at least 2 centres"
                   if settings.method == "centre" and side == "train" else "")
            problems.append(Problem(ERROR, "split_empty", f"the {side} set is empty{why}", "import refused; "
                                    + ("keep a centre for training or use a random split" if why else "check the split"),
                                    column="centre" if why else ""))
        elif patients.loc[members, "event"].sum() == 0:
            problems.append(Problem(WARNING, "split_no_events", f"the {side} set has no events",
                                    "imported; models cannot be fitted or evaluated on it"))
    return split.astype(object).where(split.notna(), None), problems


def split_spec(settings: SplitSettings) -> dict:
    """What is stored in ``cohorts.split``."""
    spec: dict = {"method": settings.method}
    if settings.method == "random":
        spec |= {"seed": settings.seed, "train_fraction": settings.train_fraction, "stratified_by": "event"}
    elif settings.method == "centre":
        spec |= {"validation_centres": [str(c) for c in settings.validation_centres]}
    return spec

"""Training / validation (/ external validation) split of a cohort's patients.

Set codes stored in ``patients.split``: ``'train'``, ``'validation'`` and, for the
three-cohort design, ``'external'`` (NULL: no set). :data:`SETS` lists them in order and
:func:`set_names` gives the names readers see.

- ``random``: stratified by event, ``train_fraction`` of each stratum to training
  (scikit-learn ``train_test_split(stratify=event, random_state=seed)`` on the patients
  sorted by id, so the split depends only on ids, events, seed and fraction, not on the
  row order of the file);
- ``centre``: patients of ``validation_centres`` form the validation set (external
  validation), all other centres the training set; patients without a centre get no split;
- ``three`` (three-cohort design): patients of ``validation_centres`` form the external
  validation set; the patients of the other (development) centres are split at random as
  ``random`` does (stratified by event, ``train_fraction``, ``seed``) into training and
  internal validation; patients without a centre get no split;
- ``none``: no split (all NULL).
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd
from sklearn.model_selection import train_test_split

from hccdash.cohort.validate import ERROR, WARNING, Problem
from hccdash.settings import SplitSettings

METHODS = ("random", "centre", "three", "none")
SETS = ("train", "validation", "external")
_CENTRE_METHODS = ("centre", "three")


def set_names(codes: Iterable[str]) -> dict[str, str]:
    """The name readers see for each set code: "training", "validation" ("internal
    validation" when the sets include ``'external'``) and "external validation"."""
    three = "external" in set(codes)
    return {"train": "training", "validation": "internal validation" if three else "validation",
            "external": "external validation"}


def check_split_settings(settings: SplitSettings) -> None:
    """Raise ValueError naming a bad method, fraction or seed."""
    if settings.method not in METHODS:
        raise ValueError(f"split method must be one of {METHODS}, got {settings.method!r}")
    if settings.method in ("random", "three") and not 0 < settings.train_fraction < 1:
        raise ValueError(f"train fraction must lie strictly between 0 and 1, got {settings.train_fraction}")
    if settings.method in ("random", "three") and not 0 <= settings.seed < 2**32:
        raise ValueError(f"split seed must be a whole number from 0 to {2**32 - 1}, got {settings.seed}")


def _random_split(patients: pd.DataFrame, settings: SplitSettings, split: pd.Series,
                  problems: list[Problem], sets: tuple[str, str]) -> bool:
    """Assign ``sets`` (training, validation) to ``patients`` at random, stratified by event;
    False (with an error in ``problems``) when they are too few to split."""
    ids = patients.sort_index()
    strata = ids["event"] if ids["event"].value_counts().min() >= 2 else None
    where = " of the development centres" if settings.method == "three" else ""
    if strata is None:
        problems.append(Problem(WARNING, "split_unstratified", f"fewer than 2 patients{where} in an event group",
                                "random split without stratification", column="event"))
    try:
        train, _ = train_test_split(ids.index.to_numpy(), train_size=settings.train_fraction,
                                    random_state=settings.seed, stratify=strata)
    except ValueError as exc:  # too few patients for this fraction (and strata)
        problems.append(Problem(ERROR, "split_too_small",
                                f"{len(ids)} patient(s){where} cannot be split with train fraction "
                                f"{settings.train_fraction}: {exc}",
                                "import refused; add patients, change the fraction or use no split",
                                value=str(settings.train_fraction)))
        return False
    split.loc[ids.index] = sets[1]
    split.loc[train] = sets[0]
    return True


def _held_out_centres(patients: pd.DataFrame, settings: SplitSettings, problems: list[Problem]) -> pd.Series | None:
    """Mask of the patients of ``validation_centres`` (None, with an error, when they are not
    given or not in the cohort); warns about each patient without a centre."""
    centres = patients["centre"]
    known = sorted(set(centres.dropna()))
    wanted = [str(c) for c in settings.validation_centres]
    unknown = [c for c in wanted if c not in known]
    label = "external validation" if settings.method == "three" else "validation"
    if not wanted or unknown:
        problems.append(Problem(ERROR, "split_centres",
                                f"{label} centre(s) {unknown or 'not given'}; centres in the cohort: {known or 'none'}",
                                "import refused", column="centre", value=", ".join(unknown)))
        return None
    left_out = "patient left out of every set" if settings.method == "three" else "patient left out of both splits"
    for pid in centres.index[centres.isna()]:
        problems.append(Problem(WARNING, "split_no_centre", "centre missing", left_out,
                                column="centre", patient_id=str(pid)))
    return centres.isin(wanted)


def split_patients(patients: pd.DataFrame, settings: SplitSettings | None = None) -> tuple[pd.Series, list[Problem]]:
    """'train' / 'validation' / 'external' / None per patient (``patients`` indexed by id with
    ``event``, ``centre``); see the module docstring for the methods.

    Problems: errors for too few patients for the fraction, a centre split without
    centres or with unknown validation centres, or a split leaving a set empty; warnings for
    patients without a centre and for a set without events.
    """
    settings = settings or SplitSettings()
    check_split_settings(settings)
    problems: list[Problem] = []
    split = pd.Series(None, index=patients.index, dtype=object, name="split")
    if settings.method == "none" or patients.empty:
        return split, problems
    if settings.method == "random":
        if not _random_split(patients, settings, split, problems, ("train", "validation")):
            return split, problems
    else:
        held_out = _held_out_centres(patients, settings, problems)
        if held_out is None:
            return split, problems
        development = patients["centre"].notna() & ~held_out
        if settings.method == "centre":
            split[development] = "train"
            split[held_out] = "validation"
        else:
            split[held_out] = "external"
            if development.any() and not _random_split(patients[development], settings, split, problems,
                                                       ("train", "validation")):
                return pd.Series(None, index=patients.index, dtype=object, name="split"), problems
    three = settings.method == "three"
    sides = SETS if three else SETS[:2]
    names = set_names(sides) if three else {side: side for side in sides}  # two sets: the codes, as before
    known = sorted(set(patients["centre"].dropna())) if settings.method in _CENTRE_METHODS else []
    for side in sides:
        members = split == side
        if not members.any():
            why = ""
            if settings.method == "centre" and side == "train":
                why = f": every centre ({', '.join(known)}) is a validation centre; a centre split needs at least 2 centres"
            elif three and side == "train":
                why = (f": every centre ({', '.join(known)}) is an external validation centre; the three-cohort "
                       "design needs at least one development centre")
            problems.append(Problem(ERROR, "split_empty", f"the {names[side]} set is empty{why}", "import refused; "
                                    + ("keep a centre for training or use a random split" if why else "check the split"),
                                    column="centre" if why else ""))
        elif patients.loc[members, "event"].sum() == 0:
            problems.append(Problem(WARNING, "split_no_events", f"the {names[side]} set has no events",
                                    "imported; models cannot be fitted or evaluated on it"))
    return split.astype(object).where(split.notna(), None), problems


def split_settings_from_spec(spec: dict) -> SplitSettings | None:
    """The :class:`SplitSettings` of a stored ``cohorts.split`` spec (None when empty); the
    inverse of :func:`split_spec`."""
    if not spec or spec.get("method") not in METHODS:
        return None
    default = SplitSettings()
    return SplitSettings(method=spec["method"], train_fraction=float(spec.get("train_fraction", default.train_fraction)),
                         seed=int(spec.get("seed", default.seed)),
                         validation_centres=tuple(str(c) for c in spec.get("validation_centres", ())))


def split_spec(settings: SplitSettings) -> dict:
    """What is stored in ``cohorts.split``."""
    spec: dict = {"method": settings.method}
    if settings.method in ("random", "three"):
        spec |= {"seed": settings.seed, "train_fraction": settings.train_fraction, "stratified_by": "event"}
    if settings.method in _CENTRE_METHODS:
        spec |= {"validation_centres": [str(c) for c in settings.validation_centres]}
    return spec

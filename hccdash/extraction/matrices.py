"""Feature matrices from the store: what modelling, ICC and the pages read.

A cohort's image rows (``images``: patient x phase x reader with content hashes) are
matched to extracted cases by their cache key under given settings, so a matrix
always holds the features of exactly those files and settings. Imported feature
tables (``imported_features``) are read the same way with ``source=``.

Wide matrices are indexed by ``patient_id`` with columns ``"{phase}.{feature}"``
(pyradiomics names; numeric features only, no ``diagnostics_*``).

A feature set is the extraction settings and the mask label: ``label=None`` reads each
image row's label chosen at import (the tumour), ``label=N`` label N of every mask (e.g.
the whole liver of a multi-label segmentation, or ROI number N of an RTSTRUCT), so
tumour and liver features of one cohort coexist under separate case keys. With
:class:`~hccdash.settings.ExtractionSettings`, its ``label`` is used unless one is given.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from hccdash.extraction.engine import with_case_keys
from hccdash.extraction.params import ExtractionSpec, spec_from_settings
from hccdash.settings import ExtractionSettings
from hccdash.store import Store

SettingsLike = ExtractionSettings | ExtractionSpec | str | None


def settings_hash_of(settings: SettingsLike) -> str:
    """The settings hash of ``settings``: a spec (pyradiomics or deep), ExtractionSettings, a hash itself, or None
    (defaults)."""
    if isinstance(settings, str):
        return settings
    if hasattr(settings, "settings_hash"):  # ExtractionSpec, or hccdash.deep's DeepSpec
        return settings.settings_hash
    return spec_from_settings(settings).settings_hash


def label_of(settings: SettingsLike, label: int | None = None) -> int | None:
    """The mask label of a feature set: ``label`` if given, else the settings' own (None: as imported)."""
    if label is not None:
        if int(label) < 1:
            raise ValueError(f"A mask label is a whole number above 0, got {label}")
        return int(label)
    return settings.label if isinstance(settings, ExtractionSettings) else None


def cohort_images(
    cohort: str,
    *,
    reader: str | None = None,
    phases: Sequence[str] | None = None,
    label: int | None = None,
    store: Store | None = None,
) -> pd.DataFrame:
    """The cohort's image rows (``images`` table), optionally of one reader and some phases;
    with ``label``, every row's label is that one (see the module docstring)."""
    frame = (store or Store()).query(
        "SELECT patient_id, phase, reader, image_path, mask_path, label, image_sha256, mask_sha256 "
        "FROM images WHERE cohort = ? AND (? IS NULL OR reader = ?) ORDER BY patient_id, phase, reader",
        [cohort, reader, reader],
    )
    if phases is not None:
        frame = frame[frame["phase"].isin(list(phases))].reset_index(drop=True)
    if label is not None:
        frame["label"] = label_of(None, label)
    return frame


def cohort_cases(
    cohort: str,
    settings: SettingsLike = None,
    *,
    reader: str | None = None,
    phases: Sequence[str] | None = None,
    label: int | None = None,
    store: Store | None = None,
) -> pd.DataFrame:
    """The cohort's image rows with ``case_key``, ``status`` ('done' / 'failed' / 'pending') and ``error``."""
    store = store or Store()
    images = cohort_images(cohort, reader=reader, phases=phases, label=label_of(settings, label), store=store)
    keyed = with_case_keys(images, settings_hash_of(settings))
    with store.connect() as con:
        con.register("wanted", keyed)
        frame = con.execute(
            "SELECT w.*, coalesce(c.status, 'pending') AS status, c.error, c.seconds "
            "FROM wanted w LEFT JOIN cases c USING (case_key) ORDER BY patient_id, phase, reader"
        ).df()
    return frame


def feature_long(
    cohort: str,
    settings: SettingsLike = None,
    *,
    reader: str | None = "1",
    phases: Sequence[str] | None = None,
    source: str | None = None,
    label: int | None = None,
    store: Store | None = None,
) -> pd.DataFrame:
    """Long table ``patient_id, phase, reader, feature, value`` (extracted, or the imported ``source``)."""
    store = store or Store()
    if source is not None:
        frame = store.query(
            "SELECT patient_id, phase, reader, feature, value FROM imported_features "
            "WHERE cohort = ? AND source = ? AND (? IS NULL OR reader = ?) ORDER BY patient_id, phase, reader, feature",
            [cohort, source, reader, reader],
        )
        if phases is not None:
            frame = frame[frame["phase"].isin(list(phases))].reset_index(drop=True)
        return frame
    images = cohort_images(cohort, reader=reader, phases=phases, label=label_of(settings, label), store=store)
    return case_features(with_case_keys(images, settings_hash_of(settings)), store)


def case_features(keyed: pd.DataFrame, store: Store | None = None,
                  features: Sequence[str] | None = None) -> pd.DataFrame:
    """Long features ``patient_id, phase, reader, feature, value`` of image rows carrying a
    ``case_key`` (only the pyradiomics names ``features`` when given)."""
    wanted = keyed[["patient_id", "phase", "reader", "case_key"]].astype(str)
    with (store or Store()).connect() as con:
        con.register("wanted", wanted)
        return con.execute(
            "SELECT w.patient_id, w.phase, w.reader, f.feature, f.value "
            "FROM wanted w JOIN cases c USING (case_key) JOIN features f USING (case_key) "
            "WHERE c.status = 'done' AND (? OR list_contains(?::VARCHAR[], f.feature)) "
            "ORDER BY w.patient_id, w.phase, w.reader, f.feature",
            [features is None, list(features or [])],
        ).df()


def to_matrix(long: pd.DataFrame) -> pd.DataFrame:
    """Long features of one reader -> wide matrix indexed by patient_id, columns ``phase.feature``."""
    if long.empty:
        return pd.DataFrame(index=pd.Index([], name="patient_id", dtype=object))
    wide = long.assign(column=long["phase"] + "." + long["feature"]).pivot_table(
        index="patient_id", columns="column", values="value", aggfunc="first", dropna=False
    )
    wide.columns.name = None
    return wide.sort_index().sort_index(axis=1)


def feature_matrix(
    cohort: str,
    settings: SettingsLike = None,
    *,
    reader: str = "1",
    phases: Sequence[str] | None = None,
    source: str | None = None,
    label: int | None = None,
    store: Store | None = None,
) -> pd.DataFrame:
    """Wide feature matrix of one reader: index ``patient_id``, columns ``"{phase}.{feature}"``.

    ``settings`` picks the extraction (ExtractionSettings, spec or settings hash; default:
    the default settings) and ``label`` the mask label (see the module docstring);
    ``source`` reads an imported feature table instead.
    """
    return to_matrix(feature_long(cohort, settings, reader=reader, phases=phases, source=source, label=label,
                                  store=store))


def repeat_pairs(
    cohort: str,
    settings: SettingsLike = None,
    *,
    readers: tuple[str, str] = ("1", "2"),
    phases: Sequence[str] | None = None,
    source: str | None = None,
    label: int | None = None,
    store: Store | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Aligned matrices of two readers (for ICC): same patients (those with both) and same columns."""
    first, second = (
        feature_matrix(cohort, settings, reader=r, phases=phases, source=source, label=label, store=store)
        for r in readers
    )
    patients = first.index.intersection(second.index)
    columns = first.columns.intersection(second.columns)
    return first.loc[patients, columns], second.loc[patients, columns]

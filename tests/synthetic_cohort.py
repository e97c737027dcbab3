"""Seeded synthetic model inputs (features, clinical table, outcome, split, repeats) for
tests and the benchmarks (``bench/model.py``, ``bench/evaluation.py``): a known truth to
recover, no store needed. Test data, not library code: it lives beside the tests.

Features are noisy copies of ``n_latent`` latent factors spread over three phases; the
hazard depends on latent factors 0 and 1 and on AFP (log) and BCLC stage. Times are in
months with uniform censoring; 70% of patients are training (seeded), and the first
``n_repeat`` training patients have a second reader (features + noise of a per-feature
size, so the ICCs spread from about 0.5 to 1).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from hccdash.modeling.builder import ModelInputs

PHASES = ("arterial", "portal", "delayed")


def synthetic_inputs(n: int = 150, p: int = 300, seed: int = 0, n_latent: int = 30,
                     n_repeat: int = 30) -> ModelInputs:
    """Model inputs of ``n`` patients with ``p`` features (see the module docstring)."""
    rng = np.random.default_rng(seed)
    ids = pd.Index([f"P{i:04d}" for i in range(n)], name="patient_id")
    latent = rng.normal(size=(n, n_latent))
    source = rng.integers(0, n_latent, p)
    noise = rng.uniform(0.3, 1.5, p)
    values = latent[:, source] + noise * rng.normal(size=(n, p))
    columns = [f"{PHASES[j % len(PHASES)]}.original_feature_{j}" for j in range(p)]
    features = pd.DataFrame(values, index=ids, columns=columns)
    afp = np.exp(rng.normal(3, 1.5, n))
    bclc = pd.Categorical(rng.choice(["0", "A", "B"], n, p=[0.3, 0.5, 0.2]), categories=["0", "A", "B"])
    clinical = pd.DataFrame({
        "age": rng.normal(60, 10, n).round(),
        "AFP": afp.round(1),
        "ALB": rng.normal(40, 5, n).round(1),
        "sex": pd.Categorical(rng.choice(["F", "M"], n, p=[0.25, 0.75]), categories=["F", "M"]),
        "BCLC": bclc,
    }, index=ids)
    lp = 0.8 * latent[:, 0] - 0.6 * latent[:, 1] + 0.35 * np.log(afp) + 0.7 * (np.asarray(bclc) == "B")
    event_time = rng.exponential(30 * np.exp(-(lp - lp.mean())))
    censor = rng.uniform(12, 60, n)
    time = np.maximum(np.minimum(event_time, censor), 0.1)
    split = np.where(rng.random(n) < 0.7, "train", "validation")
    patients = pd.DataFrame({"time": time.round(2), "event": (event_time <= censor).astype(int),
                             "split": split}, index=ids)
    repeat_ids = ids[split == "train"][:n_repeat]
    reader_noise = rng.uniform(0.05, 1.2, p) * noise  # ICCs from about 0.5 to 1
    second = features.loc[repeat_ids] + reader_noise * rng.normal(size=(len(repeat_ids), p))
    return ModelInputs(features, clinical, patients, (features.loc[repeat_ids], second), "synthetic")


def with_deep_features(inputs: ModelInputs, network: str = "tinynet", p: int = 48, seed: int = 1,
                       signal: float = 1.0) -> ModelInputs:
    """``inputs`` with ``p`` deep feature columns ``dl.<network>.<NNNN>`` added: noisy mixtures of
    a direction that follows the outcome (read back from the outcome's
    generator: the outcome's rank, blurred by noise) plus independent noise, so a DL score has something
    to find without separating the outcome."""
    rng = np.random.default_rng(seed)
    n = len(inputs.features)
    time = inputs.patients["time"].to_numpy(float)
    event = inputs.patients["event"].to_numpy(float)
    # a signal correlated with the hazard: early events high, long censored times low
    ranked = pd.Series(np.where(event == 1, -time, -time - 60)).rank().to_numpy() / n - 0.5
    blurred = ranked + 0.15 * rng.normal(size=n)
    factors = np.column_stack([signal * blurred / blurred.std(), rng.normal(size=n), rng.normal(size=n)])
    loadings = rng.normal(size=(3, p))
    values = factors @ loadings + 0.5 * rng.normal(size=(n, p)) + rng.uniform(0, 5, p)
    deep = pd.DataFrame(values, index=inputs.features.index, columns=[f"dl.{network}.{j:04d}" for j in range(p)])
    return ModelInputs(pd.concat([inputs.features, deep], axis=1), inputs.clinical, inputs.patients, inputs.repeats,
                       inputs.name, inputs.split_settings)


def _long_features(frame: pd.DataFrame, reader: str) -> pd.DataFrame:
    """Wide "{phase}.{feature}" matrix -> the long form of imported feature tables."""
    long = frame.rename_axis("patient_id").reset_index().melt(id_vars="patient_id", var_name="column")
    long[["phase", "feature"]] = long["column"].str.split(".", n=1, expand=True)
    return long.assign(reader=reader)[["patient_id", "phase", "reader", "feature", "value"]]


def import_synthetic_cohort(name: str, source: str, folder, *, n: int = 120, p: int = 90, seed: int = 5,
                            n_latent: int = 20, phases: tuple[str, ...] = PHASES, deep: int = 0,
                            units: dict | None = None, labels: dict | None = None) -> ModelInputs:
    """Store :func:`synthetic_inputs` as cohort ``name`` through the real importer (clinical
    CSV written to ``folder``; every third patient in centre "B"; default split; the variables'
    ``units`` and display ``labels`` when given) with its
    features of ``phases`` (readers 1 and 2) as imported feature table ``source``, with ``deep`` deep
    feature columns ``dl.tinynet.<NNNN>`` of reader 1 (:func:`with_deep_features`); returns the inputs."""
    from pathlib import Path

    from hccdash.cohort import EventCoding, guess_mapping, import_cohort, read_table, remap
    from hccdash.extraction.features_io import store_imported
    from hccdash.settings import SplitSettings

    inputs = synthetic_inputs(n=n, p=p, seed=seed, n_latent=n_latent)
    if deep:
        inputs = with_deep_features(inputs, p=deep)
    table = inputs.clinical.astype(object).join(inputs.patients[["time", "event"]])
    table = table.rename(columns={"time": "rfs_months", "event": "recurrence"})
    table["centre"] = ["B" if i % 3 == 0 else "A" for i in range(len(table))]
    path = Path(folder) / f"{name}_clinical.csv"
    table.rename_axis("patient_id").to_csv(path)
    frame = read_table(path)
    mapping = remap(frame, guess_mapping(frame), id_col="patient_id", time_col="rfs_months", time_unit="months",
                    event_col="recurrence", event_coding=EventCoding(("1",), ("0",)), centre_col="centre")
    mapping = mapping.with_predictors(list(inputs.clinical.columns)).with_units(units or {}, labels or {})
    result = import_cohort(name, frame, mapping, split=SplitSettings())
    if not result.ok:
        raise ValueError(result.report.to_text())
    long = pd.concat([_long_features(inputs.features, "1"), _long_features(inputs.repeats[-1], "2")], ignore_index=True)
    store_imported(long[long["phase"].isin((*phases, "dl"))], name, source)
    return inputs


def write_deep_cases(folder, ids, phase: str = "portal") -> pd.DataFrame:
    """One small CT-like case per patient id as NIfTI (the deep tests' blob, four shapes, the ROI brighter
    by 4 HU per case, so each patient's deep features differ): manifest-like rows patient_id, phase,
    reader, image, mask."""
    import sys
    from pathlib import Path

    import SimpleITK as sitk

    sys.path.insert(0, str(Path(__file__).resolve().parent / "deep"))
    from deep_helpers import synthetic_case

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rows = []
    for i, patient in enumerate(ids):
        image, mask = synthetic_case(i % 4)
        values = sitk.GetArrayFromImage(image)
        values[sitk.GetArrayFromImage(mask) > 0] += 4 * i
        shifted = sitk.GetImageFromArray(values)
        shifted.CopyInformation(image)
        paths = folder / f"{patient}.nii.gz", folder / f"{patient}_mask.nii.gz"
        sitk.WriteImage(shifted, str(paths[0]))
        sitk.WriteImage(mask, str(paths[1]))
        rows.append({"patient_id": str(patient), "phase": phase, "reader": "1", "image": str(paths[0]),
                     "mask": str(paths[1])})
    return pd.DataFrame(rows)


DEEP_COHORT, DEEP_SOURCE = "deepcohort", "deep_features.csv"


def import_deep_cohort(folder) -> str:
    """Cohort "deepcohort": 120 synthetic patients whose imported table ("deep_features.csv") holds 45
    radiomic features and 40 deep feature columns dl.tinynet.<NNNN> (no network hash: not exportable)."""
    import_synthetic_cohort(DEEP_COHORT, DEEP_SOURCE, folder, n=120, p=45, seed=5, n_latent=12, deep=40)
    return DEEP_COHORT


def app_on_page(cohort: str, page: str, timeout: float = 240):
    """The app (AppTest) switched to ``page`` with ``cohort`` chosen, run without exception."""
    from streamlit.testing.v1 import AppTest

    from hccdash import paths

    at = AppTest.from_file(str(paths.PROJECT_DIR / "app.py"), default_timeout=timeout)
    at.session_state["cohort"] = cohort
    at.run()
    at.switch_page(page).run()
    assert not at.exception, at.exception
    return at

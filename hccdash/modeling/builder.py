"""The staged, cached refit behind the model-building page (and the ``fit`` command).

:class:`ModelBuilder` holds one cohort's inputs (:class:`ModelInputs`: features, clinical
table, outcome and split, repeat segmentations). :meth:`ModelBuilder.build` fits the
:class:`~hccdash.modeling.pipeline.RadiomicsNomogram` for a :class:`~hccdash.settings.Settings`
on the training split and evaluates it on every set: training, validation and, in the
three-cohort design, external validation. The sets are the cohort's stored split, or the
patients re-split by ``settings.split`` when its ``resplit`` is set (the three-cohort preset). Stage results are kept in one
:class:`~hccdash.modeling.cache.StageCache` per (endpoint, training rows): the ICC per
kind, the correlation matrix per method, the univariable tests, the LASSO path per
feature set, the clinical model per clinical settings, each fitted filter per the
settings of the chain up to it. So a new lambda re-reads the path, and a new threshold re-runs only the steps
downstream of it. :func:`load_model_inputs` is the one function here that reads the store.

(About 430 lines, one module: the stage cache keys and the build that reads them must change
together, or a stage result is reused for settings it was not made with.)
"""

from __future__ import annotations

import dataclasses
import functools
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from hccdash.cohort.split import SETS, split_patients, split_settings_from_spec
from hccdash.modeling import regression
from hccdash.modeling.cache import StageCache, settings_key
from hccdash.modeling.endpoints import Endpoint, Outcome, make_outcome
from hccdash.modeling.deep_score import DL_PREFIX, deep_columns
from hccdash.modeling.fusion import phases_in
from hccdash.modeling.pipeline import RadiomicsNomogram, batch_column
from hccdash.selection.icc_filter import feature_icc
from hccdash.settings import Settings, SplitSettings

SPLITS = SETS  # train, validation, external


@dataclass(frozen=True)
class ModelInputs:
    """What model building reads: all indexed by patient_id.

    ``features``: radiomics matrix (``"{phase}.{feature}"``, reader 1); ``clinical``: typed
    predictor columns (Categorical for categorical ones); ``patients``: ``time`` (months),
    ``event`` (0/1), ``split`` ('train' / 'validation' / 'external' / None) and optionally
    ``centre``; ``repeats``: aligned reader matrices for the ICC (reader 1 first), or None;
    ``split_settings``: how the stored split was made (None: not known); ``networks``: the SHA-256
    of each network whose deep features (``dl.<network>.<NNNN>``) the matrix holds, and
    ``deep_extraction`` how they were extracted (``hccdash.deep``'s spec without the file path).
    """

    features: pd.DataFrame
    clinical: pd.DataFrame
    patients: pd.DataFrame
    repeats: tuple[pd.DataFrame, ...] | None = None
    name: str = ""
    split_settings: SplitSettings | None = None
    networks: Mapping[str, str] = field(default_factory=dict)
    deep_extraction: Mapping[str, dict] = field(default_factory=dict)

    @functools.cached_property
    def phases(self) -> list[str]:
        """Phases of the radiomic feature columns (deep ones named ``dl.<network>.<NNNN>`` have none)."""
        return phases_in([c for c in self.features.columns if not str(c).startswith(DL_PREFIX)])

    @functools.cached_property
    def deep_columns(self) -> list[str]:
        """The deep feature columns (``dl.<network>.<NNNN>``, with or without a phase)."""
        return deep_columns(self.features.columns)

    @property
    def clinical_variables(self) -> list[str]:
        """Clinical predictor names."""
        return [str(c) for c in self.clinical.columns]

    @property
    def centres(self) -> list[str]:
        """The patients' distinct centres, sorted (empty without a centre column)."""
        if "centre" not in self.patients.columns:
            return []
        return sorted(self.patients["centre"].dropna().astype(str).unique())

    @property
    def batch_columns(self) -> list[str]:
        """What ComBat can harmonise across: "centre" (when the patients have centres), then the
        categorical clinical columns (e.g. a scanner column)."""
        centre = ["centre"] if self.centres else []
        return centre + [str(c) for c in self.clinical.columns
                         if isinstance(self.clinical[c].dtype, pd.CategoricalDtype) and str(c) != "centre"]

    def batch_values(self, batch: str) -> pd.Series:
        """Each patient's ComBat batch: the centre, or a categorical clinical column (ValueError
        naming the choices)."""
        if batch == "centre" and self.centres:
            return self.patients["centre"].astype(object)
        if batch != "centre" and batch in self.batch_columns:
            return self.clinical[batch].astype(object)
        raise ValueError(f"ComBat batch '{batch}' is not a centre or categorical clinical column of this cohort; "
                         f"choose one of {self.batch_columns or 'none (the cohort has neither)'}")

    def batch_levels(self, batch: str) -> list[str]:
        """The batches of ``batch`` (sorted), for choosing a reference batch."""
        return sorted(str(v) for v in self.batch_values(batch).dropna().unique())

    @property
    def continuous_variables(self) -> list[str]:
        """Numeric clinical predictors (those that can be dichotomised)."""
        return [str(c) for c in self.clinical.columns if pd.api.types.is_numeric_dtype(self.clinical[c])]


def load_model_inputs(cohort: str, settings: Settings | None = None, source: str | None = None,
                      label: int | None = None, deep: Any = None) -> ModelInputs:
    """A stored cohort's model inputs (features of the extraction ``settings`` and mask ``label``,
    by default the settings' own, or an imported feature table ``source``; repeat readers when
    the cohort has them). A cohort without extracted features gets a feature matrix without
    columns: its models are clinical only. ``deep``: a deep feature set
    (:class:`hccdash.deep.feature_sets.DeepFeatureSet`: its spec and mask label) whose columns
    ``{phase}.dl.<network>.<NNNN>`` join the features (patients with both kept), with the network's
    SHA-256 and extraction spec recorded for saved models."""
    from hccdash.cohort import load_cohort
    from hccdash.extraction.matrices import feature_matrix, repeat_pairs

    loaded = load_cohort(cohort)
    extraction = None if settings is None else settings.extraction
    features = feature_matrix(cohort, extraction, source=source, label=label)
    networks, deep_extraction = {}, {}
    if deep is not None:
        deep_features = feature_matrix(cohort, deep.spec, label=deep.label)
        if deep_features.empty:
            raise ValueError(f"Cohort '{cohort}' has no deep features under {deep.spec.title}: extract them first")
        features = deep_features if features.empty else features.join(deep_features, how="inner")
        network = deep.spec.network
        networks = {network.name: network.sha256}
        deep_extraction = {network.name: {k: v for k, v in deep.spec.to_dict().items() if k != "path"}}
    if features.empty:  # a clinical table alone: clinical models only
        if source is not None:
            raise ValueError(f"The feature table '{source}' of cohort '{cohort}' holds no feature")
        if loaded.clinical.shape[1] == 0:
            raise ValueError(f"Cohort '{cohort}' has neither radiomic features nor clinical predictors: extract or "
                             "import features, or import the cohort again with predictors chosen")
        features = pd.DataFrame(index=loaded.patients.index)
    try:
        repeats = tuple(repeat_pairs(cohort, extraction, source=source, label=label))
        repeats = repeats if len(repeats[0]) >= 2 else None
    except ValueError:
        repeats = None
    patients = loaded.patients[["time", "event", "centre", "split"]]
    return ModelInputs(features, loaded.clinical, patients, repeats, cohort, split_settings_from_spec(loaded.split_spec),
                       networks, deep_extraction)


def deep_set_key(deep: Any) -> dict | None:
    """What identifies a deep feature set in a job spec: its settings hash and mask label (None without one)."""
    return None if deep is None else {"settings_hash": deep.spec.settings_hash, "label": deep.label}


def deep_set_from_key(cohort: str, key: dict | None) -> Any:
    """The cohort's deep feature set of :func:`deep_set_key` (None for None); ValueError when it is gone."""
    if not key:
        return None
    from hccdash.deep.feature_sets import cohort_deep_sets

    for deep in cohort_deep_sets(cohort):
        if deep.spec.settings_hash == key["settings_hash"] and deep.label == key.get("label"):
            return deep
    raise ValueError(f"Cohort '{cohort}' no longer has the deep features of settings {key['settings_hash'][:8]}: "
                     "extract them again")


@dataclass(frozen=True)
class BuildResult:
    """A fitted nomogram with its evaluation on every set (``external_index`` is empty unless
    the design has an external validation set)."""

    model: RadiomicsNomogram
    endpoint: Endpoint
    settings: Settings
    clinical_vars: tuple[str, ...]
    train_index: pd.Index
    validation_index: pd.Index
    excluded: tuple
    discrimination: pd.DataFrame  # C-index (Cox) or AUC (ER): rows radiomics / clinical / combined, columns sets
    notes: tuple[str, ...] = field(default=())
    external_index: pd.Index = field(default_factory=lambda: pd.Index([], dtype=object))
    _derived: dict[str, Any] = field(default_factory=dict, init=False, repr=False, compare=False)
    _derived_lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False, compare=False)

    def derived(self, name: str, compute: Callable[[], Any]) -> Any:
        """``compute()``, computed once per result and name: a result is shared by every session
        that fits the same configuration (the builder keeps it), so what a page derives from it
        (the proportional-hazards check, say) is computed once for all of them."""
        with self._derived_lock:
            if name not in self._derived:
                self._derived[name] = compute()
            return self._derived[name]

    @property
    def set_indices(self) -> dict[str, pd.Index]:
        """Patient ids of each set (training, validation, external validation)."""
        return dict(zip(SPLITS, (self.train_index, self.validation_index, self.external_index)))

    @property
    def warnings(self) -> list[str]:
        """Guardrail messages (null model, flat CV curve, EPV, ...)."""
        return list(self.notes) + self.model.warnings_

    @property
    def lasso(self):
        """The LASSO step of a single signature (None for per-phase fusion or no feature)."""
        return getattr(self.model.radiomics_, "lasso_", None)

    def funnel_text(self) -> str:
        """The funnel in one line: "all features 4000 -> ICC 3500 -> ... -> LASSO 12"."""
        funnel = self.model.radiomics_.funnel_
        return " → ".join(f"{label} {n}" for label, n in zip(funnel["label"], funnel["features"]))

    def coefficient_table(self) -> pd.DataFrame:
        """Selected features: coefficient (z-scored), training mean and sd."""
        return self.model.radiomics_.standardisation_table()

    def discrimination_table(self) -> pd.DataFrame:
        """C-index (AUC for ER) of the radiomics, clinical and combined models on each set."""
        return self.discrimination.rename_axis("model").reset_index()

    def lr_test_table(self) -> pd.DataFrame:
        """Likelihood-ratio test of the combined model against the clinical one."""
        chisq, df, p = self.model.combined_.lr_test_
        return pd.DataFrame({"test": ["combined vs clinical"], "chisq": [chisq], "df": [df], "p": [p],
                             "EPV": [self.model.combined_.epv_]})

    def summary(self) -> dict:
        """JSON-ready summary: selected features, coefficients, the discrimination per set under the
        endpoint's metric name (``c_index``, or ``auc`` for ER; ``..._by_model`` for every model)."""
        model = self.model
        combined = self.discrimination.loc["combined"]
        metric, sets = self.endpoint.metric, self.discrimination.columns
        lasso = getattr(model.radiomics_, "lasso_", None)
        return {
            "endpoint": self.endpoint.label,
            "n_train": len(self.train_index),
            "n_validation": len(self.validation_index),
            "n_external": len(self.external_index),
            "n_excluded": len(self.excluded),
            "selected_features": list(model.radiomics_.selected_features_),
            "rad_score_coefficients": {k: float(v) for k, v in model.radiomics_.coefficients_.items()},
            "rad_score_intercept": float(getattr(lasso, "intercept_", 0.0) or 0.0),
            "lambda": None if lasso is None else float(lasso.lambda_value_),
            "formula": model.radiomics_.formula(),
            "funnel": dict(zip(model.radiomics_.funnel_["step"], map(int, model.radiomics_.funnel_["features"]))),
            "clinical_variables": list(model.clinical_.selected_) if model.clinical_ is not None else [],
            "cutoffs": model.clinical_.cutoffs_ if model.clinical_ is not None else {},
            metric: {split: _json_number(combined[split]) for split in sets},
            f"{metric}_by_model": {m: {s: _json_number(self.discrimination.loc[m, s]) for s in sets}
                                   for m in self.discrimination.index},
            "lr_test_vs_clinical": dict(zip(("chisq", "df", "p"), map(_json_number, model.combined_.lr_test_))),
            "vif": {k: _json_number(v) for k, v in model.combined_.vif_.items()},
            "epv": _json_number(model.combined_.epv_),
            "warnings": self.warnings,
            "dl_score": None if not model.has_deep else {
                "funnel": dict(zip(model.deep_.funnel_["step"], map(int, model.deep_.funnel_["features"]))),
                "coefficients": {k: float(v) for k, v in model.deep_.coefficients_.items()},
                "lambda": float(model.deep_.lasso_.lambda_value_),
                "networks": dict(model.deep_.networks_),
            },
            "settings": self.settings.to_dict(),
        }


def _json_number(value) -> float | None:
    value = float(value)
    return value if np.isfinite(value) else None


_RESULTS_MAX = 64
_FRAMES_MAX = 16  # the sets' frames of a few endpoints, splits and clinical choices


class ModelBuilder:
    """Cached stage-by-stage fits of one cohort's inputs (thread-safe; one per cohort)."""

    def __init__(self, inputs: ModelInputs):
        self.inputs = inputs
        self._caches: dict[tuple, tuple[Outcome, dict[str, pd.Index], StageCache]] = {}
        self._icc: dict[tuple, pd.Series] = {}
        self._results: OrderedDict[tuple, BuildResult] = OrderedDict()
        self._frames: OrderedDict[tuple, pd.DataFrame] = OrderedDict()
        self._lock = threading.Lock()

    def data(self, endpoint: Endpoint, split: SplitSettings | None = None) -> tuple[Outcome, pd.Index, pd.Index, StageCache]:
        """(outcome, training ids, validation ids, stage cache) for an endpoint; the stored split,
        or the patients re-split by ``split`` when its ``resplit`` is set."""
        outcome, sets, cache = self._prepared(endpoint, split)
        return outcome, sets["train"], sets["validation"], cache

    def sets(self, endpoint: Endpoint, split: SplitSettings | None = None) -> dict[str, pd.Index]:
        """Patient ids of each set (train, validation, external) for an endpoint, as :meth:`data`."""
        return dict(self._prepared(endpoint, split)[1])

    def _prepared(self, endpoint: Endpoint, split: SplitSettings | None):
        split = split if split is not None and split.resplit else None
        key = (endpoint.kind, endpoint.horizon_months if not endpoint.survival else None,
               None if split is None else dataclasses.astuple(split))
        with self._lock:
            if key not in self._caches:
                self._caches[key] = self._prepare(endpoint, split)
            return self._caches[key]

    def _prepare(self, endpoint: Endpoint, split: SplitSettings | None):
        patients = self.inputs.patients.loc[self.inputs.patients.index.isin(self.inputs.features.index)]
        if split is not None:
            patients = patients.assign(split=self._resplit(patients, split))
        outcome = make_outcome(patients, endpoint)
        assigned = patients["split"].reindex(outcome.index)
        if assigned.isin(SPLITS).any():
            sets = {name: outcome.index[(assigned == name).to_numpy()] for name in SPLITS}
        else:
            sets = {"train": outcome.index, **{name: outcome.index[:0] for name in SPLITS[1:]}}
        train = sets["train"]
        if len(train) < 10:
            raise ValueError(f"Only {len(train)} training patients for {endpoint.label}: too few to fit a model")
        y_train = self.target(outcome, train)
        return outcome, sets, StageCache(self.inputs.features.loc[train], y_train)

    @staticmethod
    def _resplit(patients: pd.DataFrame, split: SplitSettings) -> pd.Series:
        """The sets of ``patients`` by ``split`` (ValueError naming the split's errors)."""
        centre = patients["centre"] if "centre" in patients.columns else pd.Series(None, index=patients.index, dtype=object)
        assigned, problems = split_patients(pd.DataFrame({"event": patients["event"], "centre": centre}), split)
        errors = [p.message for p in problems if p.severity == "error"]
        if errors:
            raise ValueError(f"Split '{split.method}' of this cohort: {'; '.join(errors)}")
        return assigned

    @staticmethod
    def target(outcome: Outcome, ids: pd.Index) -> np.ndarray:
        """The outcome's target restricted to ``ids`` (in that order)."""
        return outcome.y[outcome.index.get_indexer(ids)]

    def icc(self, kind: str, train: pd.Index) -> pd.Series | None:
        """ICC per feature on the training patients with repeat data (cached per kind)."""
        if self.inputs.repeats is None:
            return None
        key = (kind, tuple(train))
        with self._lock:
            if key not in self._icc:
                self._icc[key] = feature_icc(self.inputs.repeats, kind, patients=train)
            return self._icc[key]

    def frame(self, ids: pd.Index, clinical_vars: Sequence[str], batch: str | None = None) -> pd.DataFrame:
        """Features + chosen clinical columns of these patients (+ the ComBat ``batch`` column,
        see :func:`~hccdash.modeling.pipeline.batch_column`). The last few are kept and returned
        again, the same object (treat it as read-only): every fit reads the same sets' frames."""
        key = (tuple(ids), tuple(clinical_vars), batch)
        with self._lock:
            if key in self._frames:
                self._frames.move_to_end(key)
                return self._frames[key]
        frame = self._frame(ids, clinical_vars, batch)
        with self._lock:
            self._frames[key] = frame
            while len(self._frames) > _FRAMES_MAX:
                self._frames.popitem(last=False)
        return frame

    def _frame(self, ids: pd.Index, clinical_vars: Sequence[str], batch: str | None) -> pd.DataFrame:
        parts = [self.inputs.features.loc[ids]]
        if clinical_vars:
            parts.append(self.inputs.clinical.loc[ids, list(clinical_vars)])
        if batch is not None and batch not in clinical_vars:
            parts.append(self.inputs.batch_values(batch).reindex(ids).rename(batch).to_frame())
        return parts[0] if len(parts) == 1 else pd.concat(parts, axis=1)

    def resolve_clinical(self, settings: Settings, clinical_vars: Sequence[str] | None) -> tuple[str, ...]:
        """Explicit clinical variables (argument, else settings, else every predictor)."""
        chosen = clinical_vars if clinical_vars is not None else settings.model.clinical_variables
        chosen = self.inputs.clinical_variables if chosen is None else list(chosen)
        unknown = [v for v in chosen if v not in self.inputs.clinical.columns]
        if unknown:
            raise ValueError(f"Unknown clinical variable(s) {unknown}; available: {self.inputs.clinical_variables}")
        return tuple(chosen)

    def build(self, settings: Settings, clinical_vars: Sequence[str] | None = None) -> BuildResult:
        """Fit on the training set with ``settings`` and evaluate on every set. Without
        ``settings.split.resplit`` the result's settings name the cohort's stored split design.
        The results of the last 64 distinct (settings, clinical variables) are kept and returned
        again, the same object (treat it as read-only): a page rerun that changed no setting
        costs nothing."""
        key = (settings_key(settings), None if clinical_vars is None else tuple(clinical_vars))
        with self._lock:
            if key in self._results:
                self._results.move_to_end(key)
                return self._results[key]
        result = self._build(settings, clinical_vars)
        with self._lock:
            self._results[key] = result
            while len(self._results) > _RESULTS_MAX:
                self._results.popitem(last=False)
        return result

    def _build(self, settings: Settings, clinical_vars: Sequence[str] | None) -> BuildResult:
        endpoint = Endpoint.from_settings(settings.model)
        outcome, sets, cache = self._prepared(endpoint, settings.split)
        train = sets["train"]
        if not settings.split.resplit and self.inputs.split_settings is not None:
            settings = dataclasses.replace(settings, split=self.inputs.split_settings)
        variables = self.resolve_clinical(settings, clinical_vars)
        notes = []
        icc = None
        if settings.selection.icc_threshold is not None and self.inputs.phases:  # (no ICC without features)
            icc = self.icc(settings.selection.icc_kind, train)
            if icc is None:
                notes.append("No repeat segmentations: the ICC filter was skipped")
        model = RadiomicsNomogram(settings, variables, icc=icc, networks=dict(self.inputs.networks),
                                  deep_extraction=dict(self.inputs.deep_extraction))
        batch = batch_column(settings)
        model.fit_cached(self.frame(train, variables, batch), self.target(outcome, train), cache)
        shown = [name for name in SPLITS if name != "external" or len(sets[name])]
        discrimination = pd.DataFrame({name: self._concordance(model, outcome, sets[name], variables, batch)
                                       for name in shown})
        return BuildResult(model, endpoint, settings, variables, train, sets["validation"], outcome.excluded,
                           discrimination, tuple(notes), sets["external"])

    def _concordance(self, model: RadiomicsNomogram, outcome: Outcome, ids: pd.Index,
                     variables: Sequence[str], batch: str | None) -> pd.Series:
        if len(ids) == 0:
            return pd.Series(np.nan, index=["radiomics", "clinical", *(["deep"] if model.has_deep else []), "combined"])
        scores = model.scores(self.frame(ids, variables, batch))
        y = self.target(outcome, ids)
        return pd.Series({name: regression.concordance(y, scores[name]) for name in scores.columns})


_SHARED_MAX = 4
_shared: dict[tuple[str, str, str | None], ModelBuilder] = {}
_shared_lock = threading.Lock()


def shared_builder(cohort: str, source: str | None = None, *, label: int | None = None,
                   reload: bool = False, deep: Any = None) -> ModelBuilder:
    """The process-wide builder (with its stage cache) of ``cohort`` and feature ``source`` (or
    extracted mask ``label``), with the deep feature set ``deep`` joined (see :func:`load_model_inputs`).

    Model building and Evaluation use the same one, so features are loaded and stages
    fitted once. ``reload=True`` reads the features again (after a new extraction or
    import). At most four are kept, the least recently used dropped first; keyed by
    ``HCCDASH_HOME`` too.
    """
    from hccdash import paths

    key = (str(paths.home()), cohort, source, label,
           None if deep is None else (deep.spec.settings_hash, deep.label))
    with _shared_lock:
        builder = None if reload else _shared.pop(key, None)
        if builder is None:
            builder = ModelBuilder(load_model_inputs(cohort, source=source, label=label, deep=deep))
        _shared[key] = builder  # (re)inserted last: most recently used
        while len(_shared) > _SHARED_MAX:
            _shared.pop(next(iter(_shared)))
        return builder

"""One source of defaults: every parameter of METHODS.md with its default value.

Each step of the method has a frozen dataclass; :class:`Settings` bundles them. Pages,
CLI and library read their defaults from here, never from literals of their own.
``Settings.from_dict`` validates a (YAML / JSON) dict and names the bad key or value: each
value's type, choices and range are the JSON Schema of :mod:`hccdash.settings_schema`
(checked by ``jsonschema``); rules tying several values together are :func:`_check_relations`.
"""

from __future__ import annotations

import dataclasses
import re
import typing
from dataclasses import dataclass, field
from typing import Any

from hccdash import settings_schema

TIME_UNITS_IN_MONTHS = {"days": 12 / 365.25, "weeks": 7 * 12 / 365.25, "months": 1.0, "years": 12.0}


@dataclass(frozen=True)
class SplitSettings:
    """Train / validation split (METHODS: random 7:3 stratified by event, fixed seed); ``three``
    is the three-cohort design: ``validation_centres`` held out as external validation, the other
    centres split at random (``train_fraction``, ``seed``) into training and internal validation."""

    method: str = "random"  # random | centre | three | none
    train_fraction: float = 0.7
    seed: int = 42
    validation_centres: tuple[str, ...] = ()  # centre: the validation set; three: the external validation set
    # model building: False = the split stored with the cohort at import; True = re-split the cohort's
    # patients with these settings (the three-cohort preset of study 004)
    resplit: bool = False


@dataclass(frozen=True)
class CohortSettings:
    """Cohort import checks, folder-scan patterns and Table 1 tests."""

    geometry_tolerance: float = 1e-3  # mask vs image: spacing and origin as a fraction of a voxel, direction cosines absolute
    image_pattern: str = "{patient_id}_{phase}.nii.gz"  # folder scan (see hccdash.cohort.images)
    mask_pattern: str = "{patient_id}_{phase}_mask.nii.gz"
    label: int = 1  # mask label used when present; else the only / largest label (with a warning)
    max_voxels: int = 512 * 512 * 1000  # images declaring more are refused unread (2 cores / 24 GB; import and extraction)
    # clinical tables and manifests with more columns are refused from their header (a clinical table joined
    # with a three-phase feature download has ~4,000; 100,000 took 8 minutes and 5 GB to import)
    max_columns: int = 5000
    max_time_months: float = 1200.0  # a follow-up time above this (100 years) is refused as impossible
    median_time_months: tuple[float, float] = (1.0, 120.0)  # a median follow-up outside this warns: wrong time unit?
    longest_time_months: float = 180.0  # the longest follow-up above this (15 years) warns: wrong time unit?
    typical_longest_months: float = 60.0  # the unit proposed instead gives a longest follow-up nearest this
    normality_alpha: float = 0.05  # Table 1: Shapiro-Wilk p above this in both groups -> Welch t-test
    min_expected_count: float = 5.0  # Table 1: an expected count below this -> Fisher exact test
    fisher_resamples: int = 10000  # Table 1: Monte Carlo Fisher for tables larger than 2 x 2
    seed: int = 42


@dataclass(frozen=True)
class QCSettings:
    """Cohort QC flags (hccdash.imaging.qc): what counts as implausible, far or low."""

    modality: str = "CT"  # CT | MR: taken for images without a DICOM Modality (NIfTI, NRRD, MHA)
    ct_roi_median_hu: tuple[float, float] = (-200.0, 400.0)  # a CT ROI's median outside: values not in HU?
    ct_max_hu: float = 4000.0  # a CT voxel above this: not rescaled (unsigned raw values)?
    spacing_ratio: float = 1.5  # in-plane spacing or slice thickness this many times off the cohort median
    volume_z: float = 3.5  # robust z (median / MAD) of log mask volume beyond this: outlier
    min_dice: float = 0.8  # a second reader's mask agreeing less with reader 1's


@dataclass(frozen=True)
class ExtractionSettings:
    """pyradiomics settings (METHODS: 1 mm B-spline resampling, binWidth 25, Original+Wavelet+LoG)."""

    resampled_spacing: tuple[float, float, float] | None = (1.0, 1.0, 1.0)
    interpolator: str = "sitkBSpline"
    bin_width: float = 25.0
    normalize: bool = False  # z-score normalisation, for MRI
    normalize_scale: float = 100.0  # z-scores are multiplied by this before binning (pyradiomics normalizeScale)
    n4_bias_correction: bool = False  # for MRI
    roi: str = "3d"  # 3d | 2d (largest axial cross-section)
    image_types: tuple[str, ...] = ("Original", "Wavelet", "LoG")
    log_sigma: tuple[float, ...] = (1.0, 2.0, 3.0, 4.0, 5.0)
    feature_classes: tuple[str, ...] = ("shape", "firstorder", "glcm", "glrlm", "glszm", "gldm", "ngtdm")
    pre_crop: bool = True
    params_yaml: str | None = None  # the user's own pyradiomics parameter file (replaces the above)
    label: int | None = None  # mask label of every case (e.g. the whole liver); None: each image's label from import


@dataclass(frozen=True)
class SelectionSettings:
    """Feature selection filters, in the order they are applied (METHODS defaults)."""

    icc_threshold: float | None = 0.75  # None: no ICC filter
    icc_kind: str = "ICC2_1"  # ICC2_1 | ICC3_1
    icc_missing: str = "keep"  # keep (with a warning) | drop: features without repeat data
    variance_filter: bool = True
    freq_cut: float = 95 / 5  # caret::nearZeroVar
    unique_cut: float = 10.0  # percent
    univariate_p: float | None = 0.05
    univariate_test: str = "auto"  # auto (Cox for survival, Mann-Whitney for binary) | mannwhitney | anova
    correlation_threshold: float | None = 0.9  # None: no correlation filter
    correlation_method: str = "spearman"  # spearman | pearson
    mrmr_k: int | None = 20
    rf_k: int | None = None
    lasso_folds: int | str = 10  # K, or "loo" (leave-one-out)
    lasso_lambda: str | float = "lambda.min"  # lambda.min | lambda.1se | a number on the path
    seed: int = 42
    phases: tuple[str, ...] = ()  # phases whose features enter; empty = all
    fusion: str = "lasso"  # lasso (one LASSO over all phases) | scores (model on per-phase rad-scores)
    stability_resamples: int = 100  # bootstrap resamples of the selection stability
    # ComBat harmonisation of the features across batches, first step of the chain, fitted on the
    # training set (not in METHODS.md: off by default)
    combat: bool = False
    combat_batch: str = "centre"  # the batch: "centre" (the cohort's centres) or a categorical clinical column
    combat_ref_batch: str | None = None  # its features kept as they are, unseen batches mapped onto it; None: pooled
    # deep features (columns "dl.<network>.<NNNN>", study 003): their own block, z-score -> PCA -> LASSO -> DL score,
    # fitted on the training set; never part of the radiomics filter chain
    deep_score: bool = True  # the DL score enters the combined model when the features hold deep columns
    deep_pca_components: int | None = None  # principal components kept; None: as many as explain deep_pca_variance
    deep_pca_variance: float = 0.9  # share of the z-scored deep features' variance the kept components explain
    deep_lasso_lambda: str | float = "lambda.min"  # lambda.min | lambda.1se | a number on the DL score's path


@dataclass(frozen=True)
class ModelSettings:
    """Endpoint and model choices."""

    endpoint: str = "rfs"  # rfs (Cox) | er (logistic, early recurrence within horizon)
    er_horizon_months: float = 24.0
    ties: str = "efron"
    clinical_p_in: float = 0.10
    clinical_p_out: float = 0.05
    clinical_force_in: tuple[str, ...] = ()
    clinical_force_out: tuple[str, ...] = ()
    clinical_variables: tuple[str, ...] | None = None  # None: every predictor of the cohort
    clinical_dichotomise: tuple[str, ...] = ()  # cut at the maximally selected log-rank cut-off
    clinical_log: tuple[str, ...] = ()  # enter as the natural log (values must be > 0)
    clinical_splines: tuple[tuple[str, int], ...] = ()  # (variable, knots 3-7): restricted cubic spline, rms::rcs
    epv_warning: float = 10.0


@dataclass(frozen=True)
class EvaluationSettings:
    """Evaluation defaults (METHODS: 1000-bootstrap CI, 1/2/3-year horizons)."""

    horizons_months: tuple[float, ...] = (12.0, 24.0, 36.0)
    n_bootstrap: int = 1000
    ci_level: float = 0.95
    seed: int = 0
    risk_cutoff: str = "median"  # median | maxstat
    maxstat_minprop: float = 0.1
    min_at_risk: int = 10
    calibration_groups: int = 4
    hl_groups: int = 10
    uno_c: bool = False  # also report Uno's IPCW C (truncated at the last horizon)
    dca_thresholds: tuple[float, float, float] = (0.01, 0.99, 0.01)  # first, last, step of pt
    at_risk_step_months: float = 12.0  # spacing of the number-at-risk table under KM curves
    optimism_resamples: int = 200  # bootstrap resamples repeating the whole pipeline (rms::validate B)
    n_jobs: int = -1  # processes for the optimism bootstrap (-1: every core)
    dask_scheduler: str | None = None  # tcp://host:port: run the optimism bootstrap on this Dask cluster


@dataclass(frozen=True)
class CalculatorSettings:
    """Patient calculator and model registry: CI level, out-of-distribution rule, input limits."""

    ci_level: float = 0.95
    mahalanobis_quantile: float = 0.999  # beyond this quantile of the new-patient F prediction region: warned
    # (case-insensitive full-match name pattern, lowest possible, highest possible value):
    # a value outside is impossible and refused; None = no limit on that side
    hard_limits: tuple[tuple[str, float | None, float | None], ...] = (
        (r"age(_years)?|age_at_.*", 0.0, 120.0),
        (r"(serum_)?afp(_.*)?|alpha_?feto.*", 0.0, None),
        (r"(max_)?(tumou?r_)?(size|diameter)(_.*)?", 0.0, None),
        (r"(tumou?r_)?(number|count|n_tumou?rs?)(_.*)?", 0.0, None),
        (r"(total_)?bilirubin(_.*)?|albumin(_.*)?|alb|tbil|platelets?(_.*)?|plt|alt|ast|ggt|alp|inr|pt", 0.0, None),
        (r"nlr|plr|albi_grade|child_pugh_score|meld(_score)?", 0.0, None),
        (r"bmi", 5.0, 100.0),
        (r".*_(pct|percent)", 0.0, 100.0),
    )


@dataclass(frozen=True)
class Settings:
    """All settings of one analysis."""

    split: SplitSettings = field(default_factory=SplitSettings)
    cohort: CohortSettings = field(default_factory=CohortSettings)
    qc: QCSettings = field(default_factory=QCSettings)
    extraction: ExtractionSettings = field(default_factory=ExtractionSettings)
    selection: SelectionSettings = field(default_factory=SelectionSettings)
    model: ModelSettings = field(default_factory=ModelSettings)
    evaluation: EvaluationSettings = field(default_factory=EvaluationSettings)
    calculator: CalculatorSettings = field(default_factory=CalculatorSettings)

    def to_dict(self) -> dict[str, Any]:
        """Plain dict (lists for tuples), ready for JSON or YAML."""
        return _plain(dataclasses.asdict(self))

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> "Settings":
        """Settings from a nested dict; unknown sections or keys raise ValueError naming them."""
        data = data or {}
        sections = {f.name: f.type for f in dataclasses.fields(cls)}
        unknown = set(data) - set(sections)
        if unknown:
            raise ValueError(
                f"Unknown settings section(s) {sorted(unknown)}; allowed: {sorted(sections)}"
            )
        built = {}
        for f in dataclasses.fields(cls):
            section_cls = type(getattr(cls(), f.name))
            built[f.name] = _section_from_dict(section_cls, data.get(f.name) or {}, f.name)
        return cls(**built).validated()

    def validated(self) -> "Settings":
        """These settings, after checking every value's type and range against
        :data:`hccdash.settings_schema.SCHEMA` (ValueError naming the key, what it accepts and the value)."""
        values = {section.name: {f.name: getattr(getattr(self, section.name), f.name)
                                 for f in dataclasses.fields(getattr(self, section.name))}
                  for section in dataclasses.fields(self)}
        error = settings_schema.first_error(values)
        if error is not None:
            key, wrong_type = error
            section, name = key.split(".")
            type_name = _type_name(typing.get_type_hints(type(getattr(self, section)))[name])
            expected = settings_schema.allowed(key, type_name)
            shown = f"{expected} (type {type_name})" if wrong_type else expected
            raise ValueError(f"Setting {key} must be {shown}, got {values[section][name]!r}")
        _check_relations(self)
        return self


def _type_name(hint: Any) -> str:
    return str(hint).replace("typing.", "") if typing.get_origin(hint) else getattr(hint, "__name__", str(hint))


def _check_relations(settings: "Settings") -> None:
    """Checks involving several values."""
    first, last, step = settings.evaluation.dca_thresholds
    if not first < last or step >= last - first:
        raise ValueError(f"Setting evaluation.dca_thresholds must be (first, last, step) with first < last and "
                         f"a step below last - first, got {list(settings.evaluation.dca_thresholds)}")
    low, high = settings.qc.ct_roi_median_hu
    if not low < high:
        raise ValueError(f"Setting qc.ct_roi_median_hu must be (lowest, highest) with lowest < highest, got "
                         f"{list(settings.qc.ct_roi_median_hu)}")
    if not settings.selection.combat_batch.strip():
        raise ValueError("Setting selection.combat_batch must name the batch: 'centre' or a clinical column, got ''")
    if settings.selection.combat_ref_batch is not None and not settings.selection.combat_ref_batch.strip():
        raise ValueError("Setting selection.combat_ref_batch must be a batch (e.g. a centre) or null (pooled), got ''")
    m = settings.model
    splined = [v for v, _ in m.clinical_splines]
    both = sorted(set(m.clinical_dichotomise) & (set(m.clinical_log) | set(splined)))
    if both:
        raise ValueError(f"Setting model.clinical_dichotomise: {both} are also log-transformed or splined "
                         "(model.clinical_log / model.clinical_splines); a variable is either cut or transformed")
    repeated = sorted({v for v in splined if splined.count(v) > 1})
    if repeated:
        raise ValueError(f"Setting model.clinical_splines names {repeated} more than once; give each variable one "
                         "number of knots")
    for pattern, low, high in settings.calculator.hard_limits:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ValueError(f"Setting calculator.hard_limits: pattern {pattern!r} is not a regular expression: "
                             f"{exc}") from None
        if low is not None and high is not None and low > high:
            raise ValueError(f"Setting calculator.hard_limits: for {pattern!r} the lowest value {low} is above "
                             f"the highest {high}")


def _section_from_dict(section_cls: type, values: dict[str, Any], section: str) -> Any:
    if not isinstance(values, dict):
        raise ValueError(f"Settings section '{section}' must be a mapping, got {values!r}")
    default = section_cls()
    names = {f.name for f in dataclasses.fields(section_cls)}
    unknown = set(values) - names
    if unknown:
        raise ValueError(
            f"Unknown setting(s) {sorted(f'{section}.{k}' for k in unknown)}; "
            f"allowed in '{section}': {sorted(names)}"
        )
    converted = {key: _tuples(value) for key, value in values.items()}
    return dataclasses.replace(default, **converted)


def _tuples(value: Any) -> Any:
    """Lists (as YAML / JSON give them) as tuples, nested ones too."""
    return tuple(_tuples(v) for v in value) if isinstance(value, (list, tuple)) else value


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value

"""The model-building page's controls <-> :class:`~hccdash.settings.Settings`.

The page keeps each control's value in ``st.session_state`` under the keys of
:data:`KEYS`; :func:`controls_from_settings` gives those values for a settings object
(defaults, or a study preset), :func:`settings_from_controls` the settings for the values.
A switched-off filter maps to its ``None`` / ``False`` setting. :func:`restore_controls`
keeps each cohort's (and feature source's) values apart, so nothing chosen for one cohort
(its phases, its variables, a filter) is carried to another. ``mb_external`` holds the
external validation centres of a three-cohort design (the cohort re-split: training and
internal validation at random within the other centres); empty = the cohort's stored split.
:func:`apply_settings` sets every control at once (reset, a loaded configuration, a history entry).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, MutableMapping, Sequence
from typing import Any

from hccdash.settings import SelectionSettings, Settings, SplitSettings

_DEFAULT_SELECTION = SelectionSettings()
SPLINE_KNOTS = 4  # the knots control's default (rms::rcs's own default is 5; 4 suits the usual cohort sizes)
KEYS = (
    "mb_endpoint", "mb_horizon", "mb_phases", "mb_fusion",
    "mb_icc_on", "mb_icc", "mb_icc_kind", "mb_icc_missing", "mb_variance_on",
    "mb_univariate_on", "mb_univariate_p", "mb_univariate_test",
    "mb_corr_on", "mb_corr", "mb_corr_method", "mb_mrmr_on", "mb_mrmr_k", "mb_rf_on", "mb_rf_k",
    "mb_folds", "mb_loo", "mb_clinical", "mb_force_in", "mb_force_out", "mb_dichotomise", "mb_p_in", "mb_p_out",
    "mb_log", "mb_splines", "mb_knots",
    "mb_external", "mb_combat", "mb_combat_batch", "mb_combat_ref",
    "mb_deep_on", "mb_deep_by", "mb_deep_variance", "mb_deep_components", "mb_deep_lambda",
)
DEEP_BY = ("variance", "components")  # how the deep block's PCA keeps components

# kept with the controls, per scope: the LASSO lambda rule (or value) and the settings the controls do not
# show (a loaded configuration's ties, seeds, ...), the base of :func:`settings_from_controls`
LAMBDA_RULE, BASE = "mb_lambda_rule", "mb_base"
MEMORY_KEYS = (*KEYS, LAMBDA_RULE, BASE)
_SCOPE, _MEMORY = "mb_controls_scope", "mb_controls_memory"
_SLIDER = "mb_lambda_"  # + hash of the path: the lambda slider of one LASSO path


def restore_controls(state: MutableMapping, scope: str, defaults: Mapping[str, Any]) -> None:
    """Before the controls are drawn: give them the values of ``scope`` (a cohort and feature
    source). The values of the scope shown last are remembered; on a new scope every control
    takes that scope's remembered value, else its default (``defaults``: :func:`controls_from_settings`
    for that cohort). A control without state (first visit, or dropped by Streamlit after a page
    switch) is restored the same way."""
    memory = state.setdefault(_MEMORY, {})
    previous = state.get(_SCOPE)
    if previous is not None and previous != scope:
        memory[previous] = {key: state[key] for key in MEMORY_KEYS if key in state}
    remembered = memory.get(scope, {})
    for key in MEMORY_KEYS:
        if previous != scope or key not in state:
            state[key] = remembered.get(key, defaults[key])
    state[_SCOPE] = scope
    memory[scope] = {key: state[key] for key in MEMORY_KEYS}


def remembers(state: Mapping, scope: str) -> bool:
    """Whether this session has shown ``scope`` before (else its controls start from ``defaults``)."""
    return scope in state.get(_MEMORY, {})


def control_state(settings: Settings, phases: Sequence[str], variables: Sequence[str]) -> dict[str, Any]:
    """Everything :func:`restore_controls` keeps for ``settings``: the control values, the lambda
    rule and the settings themselves as the base of the ones the controls do not show."""
    return {**controls_from_settings(settings, phases, variables), LAMBDA_RULE: settings.selection.lasso_lambda,
            BASE: settings}


def apply_settings(state: MutableMapping, settings: Settings, phases: Sequence[str],
                   variables: Sequence[str]) -> list[str]:
    """Set every control (and the lambda) to ``settings`` (a loaded configuration, the defaults, a
    history entry); the phases and clinical variables it names that this cohort lacks, which are left out."""
    state.update(control_state(settings, phases, variables))
    for key in [k for k in state if str(k).startswith(_SLIDER) and k != LAMBDA_RULE]:
        del state[key]  # the lambda slider starts again from the lambda rule
    named = list(settings.selection.phases) + list(settings.model.clinical_variables or ())
    return [n for n in named if n not in set(phases) | set(variables)]


def keep_options(state: MutableMapping, options: Mapping[str, Sequence[str]]) -> dict[str, list[str]]:
    """Drop from each multiple-choice control in ``options`` the values it no longer offers (a loaded
    or remembered configuration's centre or variable this cohort lacks, or not continuous here);
    the values dropped, by key."""
    dropped = {}
    for key, offered in options.items():
        values = list(state.get(key) or [])
        gone = [v for v in values if v not in set(offered)]
        if gone:
            state[key] = [v for v in values if v in set(offered)]
            dropped[key] = gone
    return dropped


def lambda_position(lambdas: Sequence[float], rule: str | float, resolve) -> int:
    """The position on the lambda path of ``rule``: a named rule resolved by ``resolve``
    (``CVLassoResult.resolve``), a number at the nearest lambda (on a log scale)."""
    if isinstance(rule, str):
        return list(lambdas).index(resolve(rule))
    return min(range(len(lambdas)), key=lambda i: abs(math.log(lambdas[i]) - math.log(float(rule))))


def controls_from_settings(settings: Settings, phases: Sequence[str], variables: Sequence[str]) -> dict[str, Any]:
    """Control values showing ``settings`` for a cohort with these phases and clinical variables."""
    s, m = settings.selection, settings.model
    known = set(variables)
    chosen = list(variables) if m.clinical_variables is None else [v for v in m.clinical_variables if v in known]
    return {
        "mb_endpoint": m.endpoint,
        "mb_horizon": float(m.er_horizon_months),
        "mb_phases": [p for p in (s.phases or phases) if p in set(phases)] or list(phases),
        "mb_fusion": s.fusion,
        "mb_icc_on": s.icc_threshold is not None,
        "mb_icc": float(s.icc_threshold if s.icc_threshold is not None else _DEFAULT_SELECTION.icc_threshold),
        "mb_icc_kind": s.icc_kind,
        "mb_icc_missing": s.icc_missing,
        "mb_variance_on": bool(s.variance_filter),
        "mb_univariate_on": s.univariate_p is not None,
        "mb_univariate_p": float(s.univariate_p if s.univariate_p is not None else _DEFAULT_SELECTION.univariate_p),
        "mb_univariate_test": s.univariate_test,
        "mb_corr_on": s.correlation_threshold is not None,
        "mb_corr": float(s.correlation_threshold if s.correlation_threshold is not None
                         else _DEFAULT_SELECTION.correlation_threshold),
        "mb_corr_method": s.correlation_method,
        "mb_mrmr_on": s.mrmr_k is not None,
        "mb_mrmr_k": int(s.mrmr_k if s.mrmr_k is not None else _DEFAULT_SELECTION.mrmr_k),
        "mb_rf_on": s.rf_k is not None,
        "mb_rf_k": int(s.rf_k if s.rf_k is not None else 25),
        "mb_folds": int(s.lasso_folds) if s.lasso_folds != "loo" else int(_DEFAULT_SELECTION.lasso_folds),
        "mb_loo": s.lasso_folds == "loo",
        "mb_clinical": chosen,
        "mb_force_in": [v for v in m.clinical_force_in if v in known],
        "mb_force_out": [v for v in m.clinical_force_out if v in known],
        "mb_dichotomise": [v for v in m.clinical_dichotomise if v in known],
        "mb_log": [v for v in m.clinical_log if v in known],
        "mb_splines": [v for v, _ in m.clinical_splines if v in known],
        "mb_knots": int(m.clinical_splines[0][1]) if m.clinical_splines else SPLINE_KNOTS,
        "mb_p_in": float(m.clinical_p_in),
        "mb_p_out": float(m.clinical_p_out),
        "mb_external": list(settings.split.validation_centres)
        if settings.split.resplit and settings.split.method == "three" else [],
        "mb_combat": bool(s.combat),
        "mb_combat_batch": s.combat_batch,
        "mb_combat_ref": s.combat_ref_batch,
        "mb_deep_on": bool(s.deep_score),
        "mb_deep_by": "variance" if s.deep_pca_components is None else "components",
        "mb_deep_variance": float(s.deep_pca_variance),
        "mb_deep_components": int(s.deep_pca_components if s.deep_pca_components is not None else 10),
        "mb_deep_lambda": s.deep_lasso_lambda,
    }


def settings_from_controls(values: Mapping[str, Any], base: Settings | None = None) -> Settings:
    """Settings for the control values (other settings from ``base``), validated (ValueError naming the key)."""
    base = base or Settings()
    v = dict(values)
    selection = dataclasses.replace(
        base.selection,
        icc_threshold=float(v["mb_icc"]) if v["mb_icc_on"] else None,
        icc_kind=v["mb_icc_kind"],
        icc_missing=v["mb_icc_missing"],
        variance_filter=bool(v["mb_variance_on"]),
        univariate_p=float(v["mb_univariate_p"]) if v["mb_univariate_on"] else None,
        univariate_test=v["mb_univariate_test"],
        correlation_threshold=float(v["mb_corr"]) if v["mb_corr_on"] else None,
        correlation_method=v["mb_corr_method"],
        mrmr_k=int(v["mb_mrmr_k"]) if v["mb_mrmr_on"] else None,
        rf_k=int(v["mb_rf_k"]) if v["mb_rf_on"] else None,
        lasso_folds="loo" if v["mb_loo"] else int(v["mb_folds"]),
        phases=tuple(v["mb_phases"]),
        fusion=v["mb_fusion"],
        combat=bool(v.get("mb_combat", base.selection.combat)),
        combat_batch=v.get("mb_combat_batch") or base.selection.combat_batch,
        combat_ref_batch=v.get("mb_combat_ref", base.selection.combat_ref_batch),
        deep_score=bool(v.get("mb_deep_on", base.selection.deep_score)),
        deep_pca_components=(int(v["mb_deep_components"]) if v.get("mb_deep_by") == "components"
                             else None if "mb_deep_by" in v else base.selection.deep_pca_components),
        deep_pca_variance=float(v.get("mb_deep_variance", base.selection.deep_pca_variance)),
        deep_lasso_lambda=v.get("mb_deep_lambda", base.selection.deep_lasso_lambda),
    )
    model = dataclasses.replace(
        base.model,
        endpoint=v["mb_endpoint"],
        er_horizon_months=float(v["mb_horizon"]),
        clinical_variables=tuple(v["mb_clinical"]),
        clinical_force_in=tuple(x for x in v["mb_force_in"] if x in v["mb_clinical"]),
        clinical_force_out=tuple(x for x in v["mb_force_out"] if x in v["mb_clinical"]),
        clinical_dichotomise=tuple(x for x in v["mb_dichotomise"] if x in v["mb_clinical"]),
        clinical_log=tuple(x for x in v.get("mb_log", ()) if x in v["mb_clinical"] and x not in v["mb_dichotomise"]),
        clinical_splines=tuple((x, int(v.get("mb_knots", SPLINE_KNOTS))) for x in v.get("mb_splines", ())
                               if x in v["mb_clinical"] and x not in v["mb_dichotomise"]),
        clinical_p_in=float(v["mb_p_in"]),
        clinical_p_out=float(v["mb_p_out"]),
    )
    return dataclasses.replace(base, selection=selection, model=model, split=_split(v.get("mb_external") or [], base)).validated()


def _split(external: Sequence[str], base: Settings) -> SplitSettings:
    """Three cohorts with these external centres (fraction and seed of ``base``), else the stored split."""
    if external:
        return SplitSettings(method="three", train_fraction=base.split.train_fraction, seed=base.split.seed,
                             validation_centres=tuple(str(c) for c in external), resplit=True)
    return base.split if not base.split.resplit else SplitSettings()


def with_lambda(settings: Settings, lam: str | float) -> Settings:
    """The settings with another LASSO lambda."""
    return dataclasses.replace(settings, selection=dataclasses.replace(settings.selection, lasso_lambda=lam))

"""The patient risk calculator: one patient's (or a table of patients') prediction from a
registered model, the same code behind the calculator page and ``python -m hccdash predict``.

- :mod:`~hccdash.calculator.inputs`: the form a model asks for, every row of inputs checked;
- :mod:`~hccdash.calculator.prediction`: lp, risk group, S(t) or the ER probability with CI,
  contributions, what-if, a table of patients;
- :mod:`~hccdash.calculator.position`: the patient's nomogram points and the chart's axes;
- :mod:`~hccdash.calculator.images`: image + mask -> the rad-score's features and the DL score's deep features;
- :mod:`~hccdash.calculator.report`: the printable one-page patient report;
- :mod:`~hccdash.calculator.cli_predict`: the ``predict`` command.

Public names resolve lazily from the module that implements them (``calculator.check_inputs``).
"""

from __future__ import annotations

from hccdash.lazy import lazy_getattr

_MODULES: dict[str, tuple[str, ...]] = {  # module -> the public names it implements
    "inputs": ("Field", "SCORE_KINDS", "form_fields", "CheckedInputs", "InputError", "input_columns", "check_columns",
               "check_inputs", "mahalanobis_threshold", "mahalanobis_limit", "outside", "RANGE_RTOL"),
    "prediction": ("PatientResult", "predict_patient", "contributions", "explanation", "waterfall_figure", "what_if",
                   "predict_table", "estimate_columns"),
    "position": ("nomogram", "nomogram_coef", "nomogram_data", "nomogram_points", "nomogram_figure", "baseline_at_zero"),
    "images": ("rad_score_from_images", "deep_features_from_images", "features_from_uploads", "phases_needed",
               "deep_phases_needed"),
}
_EXPORTS = {name: module for module, names in _MODULES.items() for name in names}

__all__ = sorted(_EXPORTS)


__getattr__ = lazy_getattr(__name__, _EXPORTS, globals())

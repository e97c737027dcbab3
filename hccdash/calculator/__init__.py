"""The patient risk calculator: one patient's (or a table of patients') prediction from a
registered model, the same code behind the calculator page and ``python -m hccdash predict``.

- :mod:`~hccdash.calculator.inputs`: the form a model asks for, every row of inputs checked;
- :mod:`~hccdash.calculator.prediction`: lp, risk group, S(t) or the ER probability with CI,
  contributions, what-if, a table of patients;
- :mod:`~hccdash.calculator.position`: the patient's nomogram points and the chart's axes;
- :mod:`~hccdash.calculator.images`: image + mask -> the rad-score's features;
- :mod:`~hccdash.calculator.report`: the printable one-page patient report;
- :mod:`~hccdash.calculator.cli_predict`: the ``predict`` command.

Public names resolve lazily from the module that implements them (``calculator.check_inputs``).
"""

from __future__ import annotations

from hccdash.lazy import lazy_getattr

_EXPORTS: dict[str, str] = {
    "Field": "inputs",
    "form_fields": "inputs",
    "CheckedInputs": "inputs",
    "InputError": "inputs",
    "input_columns": "inputs",
    "check_columns": "inputs",
    "check_inputs": "inputs",
    "mahalanobis_threshold": "inputs",
    "mahalanobis_limit": "inputs",
    "outside": "inputs",
    "RANGE_RTOL": "inputs",
    "PatientResult": "prediction",
    "predict_patient": "prediction",
    "contributions": "prediction",
    "what_if": "prediction",
    "predict_table": "prediction",
    "estimate_columns": "prediction",
    "nomogram": "position",
    "nomogram_data": "position",
    "nomogram_points": "position",
    "nomogram_figure": "position",
    "baseline_at_zero": "position",
    "rad_score_from_images": "images",
    "features_from_uploads": "images",
    "phases_needed": "images",
}

__all__ = sorted(_EXPORTS)


__getattr__ = lazy_getattr(__name__, _EXPORTS, globals())

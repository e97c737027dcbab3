"""External validation and updating of registry models on stored cohorts.

- :mod:`~hccdash.validation.units`: known conversions between clinical units;
- :mod:`~hccdash.validation.mapping`: the mapping step (cohort variables, units, levels -> model inputs);
- :mod:`~hccdash.validation.features`: the model's radiomic features from the store (extracted with its settings);
- :mod:`~hccdash.validation.inputs`: the chosen patients' model inputs and outcome (nothing refit);
- :mod:`~hccdash.validation.fitted`: a model file as the fitted model the validation statistics take;
- :mod:`~hccdash.validation.report`: what a validation shows (``validation.json`` and tables);
- :mod:`~hccdash.validation.case_mix`: development vs validation case mix (Debray et al. 2015);
- :mod:`~hccdash.validation.updating`: recalibration and refitting, saved with their lineage;
- :mod:`~hccdash.validation.comparison`: two registry models on the same patients (C / AUC with CI and
  optimism-corrected, the difference test, NRI / IDI) and the settings that differ;
- :mod:`~hccdash.validation.cli`: ``python -m hccdash validate``.
"""

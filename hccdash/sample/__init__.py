"""The synthetic HCC sample cohort (``python -m hccdash.sample``): the files the flow starts from.

Modules: :mod:`~hccdash.sample.patients` (who the patients are), :mod:`~hccdash.sample.tumour`
(shape and masks), :mod:`~hccdash.sample.images` (CT phases), :mod:`~hccdash.sample.survival`
(true hazard), :mod:`~hccdash.sample.cohort` (clinical table), :mod:`~hccdash.sample.truth`
(TRUTH.md) and :mod:`~hccdash.sample.build` (writes the folder; the command line).
"""

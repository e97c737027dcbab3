"""Evaluation of a fitted radiomics nomogram: discrimination, risk groups, calibration,
decision curves, nomogram, forest / subgroups / correlation, per-centre and
leave-one-centre-out validation, optimism-corrected bootstrap, methods text, checklists
and the report.

Everything is computed for the clinical, radiomics and combined models side by side and
for the training and validation splits side by side; cut-offs and recalibration come
from the training split only. :func:`hccdash.evaluation.summary.evaluate` assembles it all.
"""

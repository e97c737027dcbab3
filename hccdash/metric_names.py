"""What each model family's discrimination is called: Harrell's C for Cox, the ROC AUC for
logistic (the same statistic for a binary outcome, reported under its usual name)."""

from __future__ import annotations

METRICS = {"cox": ("c_index", "C-index"), "logistic": ("auc", "AUC")}  # family -> (metric key, label)


def discrimination_metric(family: str) -> tuple[str, str]:
    """(key, label) of a family's discrimination: ("c_index", "C-index") for Cox, ("auc", "AUC")
    for logistic; the registry's metrics and the evaluation tables use the key."""
    if family not in METRICS:
        raise ValueError(f"Unknown model family {family!r}; allowed: {list(METRICS)}")
    return METRICS[family]

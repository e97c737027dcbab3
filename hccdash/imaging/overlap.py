"""Agreement of two segmentations of one image."""

from __future__ import annotations

import numpy as np


def dice(first: np.ndarray, second: np.ndarray) -> float:
    """Dice similarity coefficient ``2 |A n B| / (|A| + |B|)`` of two boolean masks on one grid.

    1 for identical masks, 0 for disjoint ones; NaN when both are empty (undefined).
    ValueError when the shapes differ (the masks are not on one grid).
    """
    if first.shape != second.shape:
        raise ValueError(f"Masks of shapes {first.shape} and {second.shape} are not on one grid: no Dice")
    first, second = first.astype(bool, copy=False), second.astype(bool, copy=False)
    total = int(np.count_nonzero(first)) + int(np.count_nonzero(second))
    if total == 0:
        return float("nan")
    return 2.0 * int(np.count_nonzero(first & second)) / total

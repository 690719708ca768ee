"""Scores of test-split predictions: binary (ranking, calibration) and pLTV regression.

Every function takes the true values ``y`` and the predictions ``pred`` as 1-D numpy arrays
of the same length and returns plain Python numbers (JSON-ready). Numbers are rounded in the
report, not here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs
import numpy as np
from numpy.typing import NDArray

from leadforge_core.evaluate.deps import require

Array = NDArray[np.float64]
DECILES = 10


@attrs.frozen
class ExtraMetric:
    """A metric a plugin adds through ``leadforge_evaluation_metrics(task_type)``.

    ``fn(y_true, y_pred) -> float`` is called on the test split of every model of every task
    of that type (binary: ``y_pred`` are probabilities of the positive class; regression:
    predicted values). ``higher_is_better`` only documents the direction.
    """

    name: str
    fn: Callable[[Array, Array], float]
    description: str = ""
    higher_is_better: bool = True


def _finite(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None


def _decile_groups(pred: Array) -> list[NDArray[np.intp]]:
    """Row indices of ten groups of (nearly) equal size, from lowest to highest prediction;
    ties are broken by row order so the groups are deterministic."""
    order = np.argsort(pred, kind="stable")
    return [g for g in np.array_split(order, DECILES) if g.size]


def calibration_table(y: Array, pred: Array) -> list[dict[str, float | int]]:
    """Per decile of prediction: rows, mean prediction, mean outcome (observed rate)."""
    return [
        {
            "decile": i + 1,
            "rows": int(idx.size),
            "mean_predicted": float(pred[idx].mean()),
            "mean_observed": float(y[idx].mean()),
        }
        for i, idx in enumerate(_decile_groups(pred))
    ]


def binary_metrics(y: Array, pred: Array) -> dict[str, Any]:
    """ROC AUC, PR AUC (average precision), Brier score and the decile calibration table.

    ``calibration_error`` is the row-weighted mean |predicted - observed| over deciles
    (expected calibration error); AUCs are ``None`` when the test split has one class only.
    """
    sk_metrics = require("sklearn.metrics")
    one_class = np.unique(y).size < 2
    table = calibration_table(y, pred)
    ece = sum(r["rows"] * abs(r["mean_predicted"] - r["mean_observed"]) for r in table) / max(
        1, y.size
    )
    return {
        "roc_auc": None if one_class else float(sk_metrics.roc_auc_score(y, pred)),
        "pr_auc": None if one_class else float(sk_metrics.average_precision_score(y, pred)),
        "brier": float(np.mean((pred - y) ** 2)),
        "calibration_error": float(ece),
        "calibration": table,
    }


def spearman(y: Array, pred: Array) -> float | None:
    """Rank correlation (average ranks for ties); ``None`` when either side is constant."""
    stats = require("scipy.stats")
    if np.unique(y).size < 2 or np.unique(pred).size < 2:
        return None
    return _finite(float(np.corrcoef(stats.rankdata(y), stats.rankdata(pred))[0, 1]))


def normalized_gini(y: Array, pred: Array) -> float | None:
    """Gini of the Lorenz curve of true value ordered by prediction, over that of the perfect
    ordering (1 = perfect ranking, 0 = random). Ties in ``pred`` keep row order; a constant
    prediction ranks nothing and gives ``None``."""
    if y.sum() <= 0 or np.unique(pred).size < 2:
        return None

    def gini(order_by: Array) -> float:
        order = np.lexsort((np.arange(y.size), -order_by))
        cum = np.cumsum(y[order]) / y.sum()
        return float(np.mean(cum - np.arange(1, y.size + 1) / y.size))

    best = gini(y)
    return None if best <= 0 else _finite(gini(pred) / best)


def top_decile_capture(y: Array, pred: Array) -> float | None:
    """Share of total true value held by the 10 % of rows with the highest prediction
    (``None`` for a constant prediction, which ranks nothing)."""
    if y.sum() <= 0 or np.unique(pred).size < 2:
        return None
    k = max(1, y.size // DECILES)
    top = np.argsort(-pred, kind="stable")[:k]
    return float(y[top].sum() / y.sum())


def regression_metrics(y: Array, pred: Array) -> dict[str, Any]:
    """Spearman, normalized Gini, top-decile value capture, decile calibration, totals.

    ``calibration_error`` is the mean |predicted - actual| of decile means over the mean
    value; ``total_ratio`` is total predicted over total actual value.
    """
    table = calibration_table(y, pred)
    mean = float(y.mean()) if y.size else 0.0
    cal = (
        float(np.mean([abs(r["mean_predicted"] - r["mean_observed"]) for r in table]) / mean)
        if mean > 0
        else None
    )
    total = float(y.sum())
    return {
        "spearman": spearman(y, pred),
        "gini": normalized_gini(y, pred),
        "top_decile_capture": top_decile_capture(y, pred),
        "calibration_error": cal,
        "total_ratio": float(pred.sum() / total) if total > 0 else None,
        "rmse": float(np.sqrt(np.mean((pred - y) ** 2))),
        "calibration": table,
    }


#: The figure each task type is judged by first (and the one the leakage lesson reports).
HEADLINE = {"binary": "roc_auc", "regression": "spearman"}


def score(task_type: str, y: Array, pred: Array, extras: list[ExtraMetric]) -> dict[str, Any]:
    """All built-in metrics of ``task_type`` plus plugin metrics under ``extra``."""
    out = binary_metrics(y, pred) if task_type == "binary" else regression_metrics(y, pred)
    out["extra"] = {m.name: _finite(float(m.fn(y, pred))) for m in extras}
    return out

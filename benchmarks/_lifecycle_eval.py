"""pLTV evaluation functions for the lifecycle benchmarks (SPEC §4.7 vocabulary)."""

from __future__ import annotations

import numpy as np
import polars as pl
from leadforge_lifecycle.snapshot.catalog import TRUTH
from scipy.stats import spearmanr

ID_COLUMNS = ("row_id", "customer_id", "account_id", "snapshot_time")
TRAPS = ("mrr_change_full_period", "active_users_current")


def design(frames: list[pl.DataFrame], drop: tuple[str, ...]) -> list[np.ndarray]:
    """One-hot strings (shared columns across frames), everything as float with NaN.

    Instructor splits carry per-row hidden truth (``true_*``): never a model input.
    """
    stacked = pl.concat(frames, how="vertical")
    stacked = stacked.drop([c for c in stacked.columns if c in drop or c in TRUTH])
    cats = [c for c, t in stacked.schema.items() if t == pl.String]
    matrix = stacked.to_dummies(cats).cast(pl.Float64).to_numpy()
    cuts = np.cumsum([f.height for f in frames])[:-1]
    return np.split(matrix, cuts)


def normalized_gini(y: np.ndarray, pred: np.ndarray) -> float:
    """Gini of the Lorenz curve of true value ordered by prediction, over the perfect one."""

    def gini(order_by: np.ndarray) -> float:
        order = np.lexsort((np.arange(y.size), -order_by))
        cum = np.cumsum(y[order]) / y.sum()
        return float(np.mean(cum - (np.arange(1, y.size + 1) / y.size)))

    return gini(pred) / gini(y)


def top_decile_capture(y: np.ndarray, pred: np.ndarray) -> float:
    k = max(1, y.size // 10)
    top = np.argsort(-pred, kind="stable")[:k]
    return float(y[top].sum() / y.sum())


def decile_calibration(y: np.ndarray, pred: np.ndarray) -> float:
    """Mean |predicted - actual| of decile means (deciles of prediction), over the mean value."""
    order = np.argsort(pred, kind="stable")
    errs = [abs(pred[idx].mean() - y[idx].mean()) for idx in np.array_split(order, 10)]
    return float(np.mean(errs) / y.mean())


def value_metrics(y: np.ndarray, pred: np.ndarray) -> dict[str, float]:
    return {
        "spearman": float(spearmanr(y, pred).statistic),
        "gini": normalized_gini(y, pred),
        "top_decile": top_decile_capture(y, pred),
        "decile_cal_err": decile_calibration(y, pred),
        "total_ratio": float(pred.sum() / y.sum()),
    }

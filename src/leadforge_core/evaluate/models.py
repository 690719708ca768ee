"""Baseline models fitted on train + valid and scored on test, chosen from the task type.

* ``dummy``: the training prevalence (binary) or mean (regression) for every row;
* ``linear``: L2-regularized logistic / ridge regression on one-hot categoricals (rare levels
  pooled, unknown levels ignored) and median-imputed, standardized numerics with missing
  indicators;
* ``hgb``: scikit-learn's ``HistGradientBoostingClassifier`` / ``Regressor`` with library
  defaults and native categoricals;
* ``two_part`` (regression): ``P(y > 0)`` from a gradient-boosting classifier times
  ``exp(mu + sigma^2 / 2)`` from a gradient-boosting regression of ``log y`` on the positive
  rows (a zero-inflated lognormal model), against ``hgb`` which minimizes squared error.

Every estimator gets ``random_state=0``, so the same bundle gives the same numbers.
"""

from __future__ import annotations

from typing import Any

import attrs
import numpy as np
import polars as pl
from numpy.typing import NDArray

from leadforge_core.evaluate.deps import require

Array = NDArray[np.float64]
SEED = 0
#: Native categorical support in HistGradientBoosting allows at most 255 levels (incl. missing).
MAX_LEVELS = 254
OTHER = "(other)"


def is_categorical(dtype: pl.DataType) -> bool:
    """String-like columns are categoricals; booleans and numbers are numeric."""
    return dtype == pl.String or isinstance(dtype, pl.Categorical | pl.Enum)


@attrs.frozen
class Design:
    """Feature matrices of one task: categoricals as float codes (NaN = missing or unseen)
    followed by numerics (NaN = missing); ``n_cat`` leading columns are categorical."""

    columns: tuple[str, ...]
    n_cat: int
    fit_x: Array
    test_x: Array


#: Encoded columns of one task, ``name -> (fitting rows, test rows)``, shared by its designs.
EncodedColumns = dict[str, tuple[Array, Array]]


def _encode(fit: pl.DataFrame, test: pl.DataFrame, col: str) -> tuple[Array, Array]:
    """One column of the fitting and test rows as floats (categoricals as codes)."""
    if not is_categorical(fit.schema[col]):
        return (
            fit[col].cast(pl.Float64).fill_null(np.nan).to_numpy().astype(np.float64),
            test[col].cast(pl.Float64).fill_null(np.nan).to_numpy().astype(np.float64),
        )
    counts = (
        fit.select(pl.col(col).cast(pl.String))
        .drop_nulls()
        .group_by(col)
        .len()
        .sort(["len", col], descending=[True, False])
    )
    levels = counts[col].to_list()
    keep = levels[:MAX_LEVELS]
    mapping = {v: float(i) for i, v in enumerate(keep)}
    other = float(len(keep)) if len(levels) > len(keep) else None
    coded: list[Array] = []
    for frame in (fit, test):
        values = frame[col].cast(pl.String)
        codes = values.replace_strict(mapping, default=None, return_dtype=pl.Float64)
        if other is not None:
            codes = (
                pl.select(
                    pl.when(values.is_not_null() & codes.is_null())
                    .then(pl.lit(other))
                    .otherwise(codes)
                )
                .to_series()
                .cast(pl.Float64)
            )
        coded.append(codes.fill_null(np.nan).to_numpy().astype(np.float64))
    return coded[0], coded[1]


def design(
    fit: pl.DataFrame,
    test: pl.DataFrame,
    features: list[str],
    cache: EncodedColumns | None = None,
) -> Design:
    """Encode ``features`` of the fitting rows and the test rows into one shared layout.

    Category codes come from the fitting rows only (the most frequent ``MAX_LEVELS`` levels,
    by count then value; rarer levels share one code), so nothing about the test split leaks
    into the encoding. A column is encoded once per ``cache``: pass the same dict to every
    design of one task (same ``fit`` and ``test``) to reuse the columns they share.
    """
    cache = {} if cache is None else cache
    for col in features:
        if col not in cache:
            cache[col] = _encode(fit, test, col)
    cats = [c for c in features if is_categorical(fit.schema[c])]
    nums = [c for c in features if c not in cats]
    order = cats + nums

    def stack(side: int, rows: int) -> Array:
        parts = [cache[c][side] for c in order]
        return np.column_stack(parts) if parts else np.zeros((rows, 0))

    return Design(
        tuple(order),
        len(cats),
        stack(0, fit.height).reshape(fit.height, len(order)),
        stack(1, test.height).reshape(test.height, len(order)),
    )


def _linear_pipeline(d: Design, task_type: str) -> Any:
    compose = require("sklearn.compose")
    impute = require("sklearn.impute")
    linear = require("sklearn.linear_model")
    pipeline = require("sklearn.pipeline")
    pre = require("sklearn.preprocessing")
    cat_idx = list(range(d.n_cat))
    num_idx = list(range(d.n_cat, len(d.columns)))
    parts: list[tuple[str, Any, list[int]]] = []
    if cat_idx:
        parts.append(
            (
                "cat",
                pipeline.make_pipeline(
                    impute.SimpleImputer(strategy="constant", fill_value=-1.0),
                    pre.OneHotEncoder(handle_unknown="ignore", min_frequency=20),
                ),
                cat_idx,
            )
        )
    if num_idx:
        parts.append(
            (
                "num",
                pipeline.make_pipeline(
                    impute.SimpleImputer(
                        strategy="median", add_indicator=True, keep_empty_features=True
                    ),
                    pre.StandardScaler(),
                ),
                num_idx,
            )
        )
    model = (
        linear.LogisticRegression(C=1.0, max_iter=2000)
        if task_type == "binary"
        else linear.Ridge(alpha=1.0)
    )
    return pipeline.make_pipeline(compose.ColumnTransformer(parts), model)


def _hgb(d: Design, task_type: str, **kwargs: Any) -> Any:
    ensemble = require("sklearn.ensemble")
    cls = (
        ensemble.HistGradientBoostingClassifier
        if task_type == "binary"
        else ensemble.HistGradientBoostingRegressor
    )
    mask = [i < d.n_cat for i in range(len(d.columns))]
    return cls(categorical_features=mask if any(mask) else None, random_state=SEED, **kwargs)


def _proba(model: Any, x: Array) -> Array:
    return np.asarray(model.predict_proba(x)[:, 1], dtype=np.float64)


def fit_predict(d: Design, y: Array, task_type: str) -> dict[str, Array]:
    """Test-split predictions of every baseline for ``task_type`` (``binary`` gives
    probabilities of the positive class, ``regression`` predicted values)."""
    n_test = d.test_x.shape[0]
    out: dict[str, Array] = {}
    out["dummy"] = np.full(n_test, float(y.mean()))  # prior (binary) or mean (regression)
    if d.fit_x.shape[1] == 0:
        return out
    single_class = np.unique(y).size < 2
    if task_type == "binary" and single_class:
        return out
    linear = _linear_pipeline(d, task_type).fit(d.fit_x, y)
    out["linear"] = (
        _proba(linear, d.test_x)
        if task_type == "binary"
        else np.asarray(linear.predict(d.test_x), dtype=np.float64)
    )
    hgb = _hgb(d, task_type).fit(d.fit_x, y)
    out["hgb"] = (
        _proba(hgb, d.test_x)
        if task_type == "binary"
        else np.asarray(hgb.predict(d.test_x), dtype=np.float64)
    )
    if task_type == "regression":
        two_part = _two_part(d, y)
        if two_part is not None:
            out["two_part"] = two_part
    return out


def _two_part(d: Design, y: Array) -> Array | None:
    """Zero-inflated lognormal style: P(y > 0) x exp(mu + sigma^2 / 2) on positive rows."""
    positive = y > 0
    if positive.sum() < 20 or np.any(y < 0):
        return None
    logs = np.log(y[positive])
    reg = _hgb(d, "regression").fit(d.fit_x[positive], logs)
    sigma2 = float(np.var(logs - reg.predict(d.fit_x[positive])))
    value = np.exp(np.asarray(reg.predict(d.test_x), dtype=np.float64) + sigma2 / 2)
    if (~positive).sum() == 0:
        return value
    clf = _hgb(d, "binary").fit(d.fit_x, positive.astype(np.int64))
    return _proba(clf, d.test_x) * value


def fit_oracle(d: Design, y: Array, task_type: str) -> Array:
    """Test predictions of the oracle: gradient boosting (library defaults) on ``d``, the
    task features plus the per-row hidden-truth columns of an instructor bundle.

    Args:
        d: the design of the features and truth columns (fitting and test rows).
        y: the target of the fitting rows.
        task_type: ``binary`` (returns probabilities of the positive class) or
            ``regression`` (returns predicted values).
    """
    model = _hgb(d, task_type).fit(d.fit_x, y)
    if task_type == "binary":
        return _proba(model, d.test_x)
    return np.asarray(model.predict(d.test_x), dtype=np.float64)

"""Evaluate every task of a bundle from its declarations; the result is one JSON-ready dict."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs
import numpy as np
import polars as pl

from leadforge_core.errors import BundleIOError, PluginError
from leadforge_core.evaluate import audit, models
from leadforge_core.evaluate.deps import require
from leadforge_core.evaluate.metrics import HEADLINE, ExtraMetric, score
from leadforge_core.evaluate.sample import DEFAULT_MAX_FIT_ROWS, fit_sample, normalize_limit
from leadforge_core.evaluate.verdict import overall_verdict, task_verdict
from leadforge_core.plugins import PluginHost, PluginRecord, get_host, plugin_code
from leadforge_core.validation.view import BundleReadError, BundleView

#: Version of the evaluation JSON layout; bumped when a key changes meaning or disappears.
SCHEMA_VERSION = "1"
#: Feature-dictionary groups that are never model inputs.
NON_FEATURES = {"identifier", "target", "hidden_truth"}
#: Group of instructor-only task columns holding per-row truth (true latents, simulated
#: probabilities); the core drops them from public bundles (``available_in_public_mode``).
TRUTH_GROUP = "hidden_truth"
SPLITS = ("train", "valid", "test")


def _round(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 6) if np.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _round(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_round(v) for v in value]
    return value


def extra_metrics(host: PluginHost, task_type: str) -> list[ExtraMetric]:
    """Metrics plugins add for ``task_type``, sorted by name.

    Each metric's function is wrapped so that an exception inside it is reported as that
    plugin's bug (:class:`~leadforge_core.errors.PluginCrash`, exit 3).

    Raises:
        PluginError: a plugin returned something that is not an ``ExtraMetric``, or a name
            another plugin already uses.
        PluginCrash: a hook implementation raised.
    """
    out: dict[str, ExtraMetric] = {}
    for record, result in host.call_hook("leadforge_evaluation_metrics", task_type=task_type):
        for metric in result if isinstance(result, list | tuple) else [result]:
            if not isinstance(metric, ExtraMetric):
                raise PluginError(
                    f"{record.label} returned {metric!r} from leadforge_evaluation_metrics, "
                    "not an ExtraMetric"
                )
            if metric.name in out:
                raise PluginError(
                    f"{record.label} defines evaluation metric {metric.name!r}, "
                    "which another plugin already defines"
                )
            out[metric.name] = attrs.evolve(metric, fn=_guarded(record, metric))
    return [out[name] for name in sorted(out)]


def _guarded(record: PluginRecord, metric: ExtraMetric) -> Callable[[Any, Any], float]:
    def fn(y: Any, pred: Any) -> float:
        with plugin_code(record, f"evaluation metric {metric.name!r}"):
            return float(metric.fn(y, pred))

    return fn


def _target(frame: pl.DataFrame, column: str, task_type: str) -> np.ndarray:
    s = frame[column]
    if task_type == "binary":
        s = s.cast(pl.Boolean).cast(pl.Float64)
    return np.asarray(s.cast(pl.Float64).to_numpy(), dtype=np.float64)


def _grouping_keys(tm: dict[str, Any], ids: list[str], frame: pl.DataFrame) -> list[str]:
    declared = tm.get("grouping") or (tm.get("split") or {}).get("grouping")
    keys = [declared] if isinstance(declared, str) and declared in frame.columns else []
    for col in ids:
        if col in keys or col == "row_id" or frame.schema[col].is_temporal():
            continue
        if frame[col].n_unique() < frame.height:  # an entity shared by several rows
            keys.append(col)
    return keys


def evaluate_task(
    view: BundleView,
    task: str,
    dictionary: pl.DataFrame,
    host: PluginHost,
    max_fit_rows: int | None = DEFAULT_MAX_FIT_ROWS,
) -> dict[str, Any]:
    """Baselines, leakage lesson, audit, oracle and verdict of one task.

    Every model is fitted on train + valid, or on the fixed sample of ``max_fit_rows`` of
    those rows that :func:`~leadforge_core.evaluate.sample.fit_sample` draws when there are
    more (``None``/``0``: every row); scores use the whole test split, the audit every row.
    """
    tm = view.task_manifest(task)
    task_type = str(tm.get("task_type"))
    if task_type not in HEADLINE:
        return {"task_type": task_type, "skipped": f"task type {task_type!r} is not supported"}
    splits = {s: view.task_split(task, s) for s in SPLITS}
    targets = [t for t in tm.get("targets", []) if t in splits["train"].columns]
    if not targets:
        raise BundleReadError(f"tasks/{task}", "no declared target column in the splits")
    target = targets[0]
    groups = dict(zip(dictionary["feature_name"], dictionary["feature_group"], strict=True))
    risky = set(dictionary.filter(pl.col("leakage_risk") == "true")["feature_name"].to_list())
    columns = splits["train"].columns
    ids = [c for c in columns if groups.get(c) == "identifier"]
    truth = [c for c in columns if groups.get(c) == TRUTH_GROUP and c not in targets]
    usable = [
        c
        for c in columns
        if groups.get(c) not in NON_FEATURES
        and c not in tm.get("targets", [])
        and not splits["train"].schema[c].is_temporal()
    ]
    traps = [c for c in usable if c in risky]
    clean = [c for c in usable if c not in risky]
    fit = pl.concat([splits["train"], splits["valid"]], how="vertical_relaxed")
    test = splits["test"]
    y_fit, y_test = _target(fit, target, task_type), _target(test, target, task_type)
    seed = view.manifest.get("seed")
    sample = fit_sample(
        y_fit,
        task_type,
        max_fit_rows,
        seed if isinstance(seed, int) and not isinstance(seed, bool) and seed >= 0 else 0,
        task,
    )
    if sample.rows is not None:
        fit, y_fit = fit[sample.rows], y_fit[sample.rows]
    extras = extra_metrics(host, task_type)
    headline = HEADLINE[task_type]

    variants: dict[str, list[str]] = {"without_traps": clean}
    if traps:
        variants["with_traps"] = clean + traps
    results: dict[str, dict[str, Any]] = {}
    encoded: models.EncodedColumns = {}  # each column encoded once for every design
    for variant, features in variants.items():
        d = models.design(fit, test, features, encoded)
        preds = models.fit_predict(d, y_fit, task_type)
        results[variant] = {
            name: score(task_type, y_test, pred, extras) for name, pred in preds.items()
        }

    lesson = {
        name: {
            "without_traps": results["without_traps"][name][headline],
            "with_traps": results["with_traps"][name][headline],
            "gain": (
                results["with_traps"][name][headline] - results["without_traps"][name][headline]
                if results["with_traps"][name][headline] is not None
                and results["without_traps"][name][headline] is not None
                else None
            ),
        }
        for name in results["without_traps"]
        if "with_traps" in results and name in results["with_traps"]
    }

    everything = pl.concat([splits[s] for s in SPLITS], how="vertical_relaxed")
    y_all = _target(everything, target, task_type)
    if task_type == "binary":
        positive = y_all > 0.5
        positive_means = f"{target} is true"
    else:
        cut = float(np.quantile(y_all, 0.9)) if y_all.size else 0.0
        positive = (y_all >= cut) & (y_all > 0)
        positive_means = f"{target} in its top decile (>= {cut:g})"
    time_col = tm.get("time_column") or ("snapshot_time" if "snapshot_time" in columns else None)
    strategy = tm.get("strategy") or (tm.get("split") or {}).get("strategy")
    leakage_audit = {
        "rules_target": positive_means,
        "best_rule": audit.best_rule(everything, positive, clean),
        "best_trap_rule": audit.best_rule(everything, positive, traps) if traps else None,
        "split_strategy": strategy,
        "group_overlap": [
            audit.group_overlap(splits, k) for k in _grouping_keys(tm, ids, everything)
        ],
        "declared_grouping": tm.get("grouping") or (tm.get("split") or {}).get("grouping"),
        "time_order": audit.time_order(splits, time_col) if time_col else None,
        "traps": traps,
        "trap_effect": lesson,
    }

    oracle: dict[str, Any]
    if view.mode.is_public:
        oracle = {"available": False, "reason": "public bundle: the hidden truth is withheld"}
    elif not truth:
        oracle = {
            "available": False,
            "reason": "this instructor bundle records no per-row hidden truth for the task "
            f"(no task column in feature group {TRUTH_GROUP!r}); its metadata holds world-level "
            "truth only",
        }
    else:
        # The oracle sees what students see (the task features without traps) plus the truth:
        # truth alone can miss the scale of a value target (current MRR is a feature).
        d = models.design(fit, test, clean + truth, encoded)
        pred = models.fit_oracle(d, y_fit, task_type)
        ceiling = score(task_type, y_test, pred, [])
        gaps = {
            name: ceiling[headline] - scores[headline]
            for name, scores in results["without_traps"].items()
            if ceiling[headline] is not None and scores[headline] is not None
        }
        oracle = {
            "available": True,
            "columns": truth,
            "inputs": "the task features without traps plus the hidden-truth columns",
            "metrics": ceiling,
            "gap": gaps.get("hgb", gaps.get("dummy")),
            "gaps": gaps,
        }

    bands = ((view.manifest.get("recipe") or {}).get("difficulty_bands") or {}).get(task, {})
    scheme_band = (view.manifest.get("scheme_details") or {}).get("prevalence_band")
    primary = bool(((view.manifest.get("tasks") or {}).get(task) or {}).get("primary"))
    if primary and task_type == "binary" and "prevalence" not in bands and scheme_band:
        bands = {**bands, "prevalence": list(scheme_band)}
    rows = {s: splits[s].height for s in SPLITS}
    summary: dict[str, Any] = {"rows": rows}
    if task_type == "binary":
        summary["prevalence"] = float(y_all.mean()) if y_all.size else None
    else:
        summary["mean"] = float(y_all.mean()) if y_all.size else None
        summary["zero_share"] = float(np.mean(y_all == 0)) if y_all.size else None
    out: dict[str, Any] = {
        "task_type": task_type,
        "target": target,
        "primary": primary,
        "features": {"used": len(clean), "traps": traps, "hidden_truth": truth},
        "target_summary": summary,
        "sampling": sample.to_dict(test.height, everything.height),
        "models": results,
        "leakage_audit": leakage_audit,
        "oracle": oracle,
    }
    out["verdict"] = task_verdict(out, bands, str(view.manifest.get("difficulty")))
    return out


def evaluate_bundle(
    path: str | Path,
    host: PluginHost | None = None,
    max_fit_rows: int | None = DEFAULT_MAX_FIT_ROWS,
) -> dict[str, Any]:
    """Evaluate every task of the bundle at ``path``.

    Args:
        path: a bundle folder written by ``leadforge generate``.
        host: plugin host whose ``leadforge_evaluation_metrics`` hooks add metrics
            (default: the process-wide host).
        max_fit_rows: largest number of train + valid rows a task's models are fitted on;
            a task with more is fitted on a fixed, stratified sample of this many rows
            (stated under ``sampling``). ``0`` or ``None`` fits on every row.

    Returns:
        One JSON-ready dict (``schema_version`` :data:`SCHEMA_VERSION`): bundle facts,
        per task the baselines with and without traps, leakage audit, oracle ceiling and
        verdict, and an overall verdict. Floats are rounded to 6 decimals.

    Raises:
        BundleIOError: the folder is not a readable bundle.
        MissingExtraError: scikit-learn is not installed.
        PluginError, PluginCrash: a plugin's evaluation metric is invalid or raised.
        ValueError: ``max_fit_rows`` is negative.
    """
    limit = normalize_limit(max_fit_rows)
    bundle = Path(path)
    if not bundle.is_dir():
        raise BundleIOError(f"not a bundle folder: {bundle}")
    view = BundleView(bundle)
    try:
        manifest = view.manifest
        mode = view.mode
        dictionary = view.feature_dictionary()
        tasks = view.task_names()
    except BundleReadError as exc:
        raise BundleIOError(f"cannot evaluate {bundle}: {exc}") from None
    require("sklearn")
    require("scipy")
    host = host or get_host()
    threadpoolctl = require("threadpoolctl")
    results: dict[str, Any] = {}
    # OpenMP threads in gradient boosting oversubscribe small or busy machines badly (ten
    # times slower on 2 shared cores); one thread per process is fast and deterministic.
    with threadpoolctl.threadpool_limits(limits=1, user_api="openmp"):
        for task in tasks:
            try:
                results[task] = evaluate_task(view, task, dictionary, host, limit)
            except BundleReadError as exc:
                raise BundleIOError(f"cannot evaluate {bundle}: {exc}") from None
    recipe = manifest.get("recipe") or {}
    report: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "bundle": {
            "path": str(bundle),
            "scheme": manifest.get("scheme"),
            "recipe": recipe.get("id"),
            "seed": manifest.get("seed"),
            "exposure_mode": str(mode),
            "difficulty": manifest.get("difficulty"),
            "difficulty_bands": recipe.get("difficulty_bands") or {},
        },
        "settings": {"max_fit_rows": limit},
        "tasks": results,
    }
    report["verdict"] = overall_verdict(report)
    rounded: dict[str, Any] = _round(report)
    return rounded

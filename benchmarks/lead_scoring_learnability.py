"""Learnability of the lead-scoring task per difficulty tier (benchmark script, not a test).

For each tier and seed: generate a public bundle, fit logistic regression and
HistGradientBoosting on the public task features (temporal split, test ROC/PR AUC) with and
without the leakage trap, and search the public tables for the best single-column rule and
join probe on the label. Needs scikit-learn (the ``bench`` extra).

    python benchmarks/lead_scoring_learnability.py --n-leads 20000 --seeds 1 2 3 4 5
"""

from __future__ import annotations

import os

# scikit-learn's OpenMP threads oversubscribe small machines badly; one thread is faster here.
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
from leadforge_lead_scoring.checks import best_rules, probe_frame
from leadforge_lead_scoring.snapshot.task import FEATURES, LABEL, TASK, TRAP
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from leadforge_core.api import Generator
from leadforge_core.validation.view import BundleView

RECIPE = "b2b_saas_procurement_v1"
CATEGORICAL = [n for n, _, d, *_ in FEATURES if d == "category"]
NUMERIC = [n for n, _, d, *_ in FEATURES if d != "category"]


def _matrix(
    frame: pl.DataFrame, trap: bool, vocab: dict[str, list[str]]
) -> tuple[np.ndarray, np.ndarray]:
    """Categoricals as integer codes (missing is its own code), numerics as floats (NaN)."""
    num = NUMERIC + ([TRAP] if trap else [])
    cats = [
        frame[c]
        .cast(pl.String)
        .fill_null("(missing)")
        .replace_strict(
            {v: i for i, v in enumerate(vocab[c])}, default=len(vocab[c]), return_dtype=pl.Float64
        )
        .to_numpy()
        for c in CATEGORICAL
    ]
    nums = [frame[c].cast(pl.Float64).fill_null(float("nan")).to_numpy() for c in num]
    return np.column_stack(cats + nums), frame[LABEL].to_numpy().astype(int)


def hgb_classifier(cat_idx: list[int], seed: int) -> HistGradientBoostingClassifier:
    """The gradient-boosting settings every lead-scoring benchmark uses (fixed, not tuned on test)."""
    return HistGradientBoostingClassifier(
        categorical_features=cat_idx,
        max_iter=600,
        learning_rate=0.03,
        max_leaf_nodes=8,
        min_samples_leaf=80,
        l2_regularization=3.0,
        early_stopping=True,
        validation_fraction=0.15,
        random_state=seed,
    )


def fit_models(splits: dict[str, pl.DataFrame], trap: bool, seed: int) -> dict[str, float]:
    train = pl.concat([splits["train"], splits["valid"]])
    vocab = {
        c: sorted(train[c].cast(pl.String).fill_null("(missing)").unique().to_list())
        for c in CATEGORICAL
    }
    xtr, ytr = _matrix(train, trap, vocab)
    xte, yte = _matrix(splits["test"], trap, vocab)
    k = len(CATEGORICAL)
    cat_idx = list(range(k))
    num_idx = list(range(k, xtr.shape[1]))
    lr = make_pipeline(
        ColumnTransformer(
            [
                ("cat", OneHotEncoder(handle_unknown="ignore", min_frequency=20), cat_idx),
                (
                    "num",
                    make_pipeline(
                        SimpleImputer(strategy="median", add_indicator=True), StandardScaler()
                    ),
                    num_idx,
                ),
            ]
        ),
        LogisticRegression(max_iter=3000, C=1.0),
    )
    hgb = hgb_classifier(cat_idx, seed)
    out = {}
    for name, model in (("lr", lr), ("hgb", hgb)):
        model.fit(xtr, ytr)
        p = model.predict_proba(xte)[:, 1]
        out[f"{name}_roc_auc"] = float(roc_auc_score(yte, p))
        out[f"{name}_pr_auc"] = float(average_precision_score(yte, p))
    return out


def run_one(tier: str, seed: int, n_leads: int, probes: bool) -> dict[str, Any]:
    t0 = time.perf_counter()
    bundle = Generator.from_recipe(
        RECIPE, seed=seed, exposure_mode="student_public", difficulty=tier, n_leads=n_leads
    ).generate(timestamp=0)
    splits = bundle.tasks[TASK].splits
    rows = pl.concat(list(splits.values()))
    res: dict[str, Any] = {
        "tier": tier,
        "seed": seed,
        "rows": rows.height,
        "prevalence": float(rows[LABEL].mean()),
    }
    res.update({f"{k}": v for k, v in fit_models(splits, False, seed).items()})
    res.update({f"trap_{k}": v for k, v in fit_models(splits, True, seed).items()})
    if probes:
        with tempfile.TemporaryDirectory() as tmp:
            path = bundle.save(Path(tmp) / "b")
            view = BundleView(path)
            frame = probe_frame(view)
            rules = best_rules(frame, LABEL)
            # Best single column of the task (trap excluded) and best join probe, ranked by
            # precision among rules with recall >= 5 %.
            feats = best_rules(rows.drop(TRAP), LABEL)
        for key, rs in (("best_task_column_rule", feats), ("best_join_probe", rules)):
            ok = [r for r in rs if r["recall"] >= 0.05]
            best = max(ok, key=lambda r: r["precision"]) if ok else None
            res[key] = best
    res["seconds"] = round(time.perf_counter() - t0, 1)
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--n-leads", type=int, default=20_000)
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4, 5])
    ap.add_argument("--tiers", nargs="+", default=["intro", "intermediate", "advanced"])
    ap.add_argument("--no-probes", action="store_true")
    ap.add_argument("--json", type=Path, help="write all results to this file")
    args = ap.parse_args()
    results = []
    for tier in args.tiers:
        for seed in args.seeds:
            r = run_one(tier, seed, args.n_leads, not args.no_probes)
            results.append(r)
            print(
                json.dumps({k: (round(v, 4) if isinstance(v, float) else v) for k, v in r.items()}),
                flush=True,
            )
    print(
        "\n| tier | prevalence | LR ROC | HGB ROC | HGB-LR | HGB PR | HGB ROC +trap | trap gain | best rule precision@recall≥5% |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for tier in args.tiers:
        rs = [r for r in results if r["tier"] == tier]
        m = {
            k: statistics.mean(r[k] for r in rs)
            for k in ("prevalence", "lr_roc_auc", "hgb_roc_auc", "hgb_pr_auc", "trap_hgb_roc_auc")
        }
        worst = max(
            (r["best_join_probe"]["precision"] for r in rs if r.get("best_join_probe")),
            default=float("nan"),
        )
        print(
            f"| {tier} | {m['prevalence']:.3f} | {m['lr_roc_auc']:.3f} | {m['hgb_roc_auc']:.3f} | "
            f"{m['hgb_roc_auc'] - m['lr_roc_auc']:+.3f} | {m['hgb_pr_auc']:.3f} | "
            f"{m['trap_hgb_roc_auc']:.3f} | {m['trap_hgb_roc_auc'] - m['hgb_roc_auc']:+.3f} | {worst:.3f} |"
        )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()

"""Do the five motif families produce different worlds? Top permutation-importance features.

For each motif family: generate a public intermediate bundle, fit HistGradientBoosting on the
task features (trap excluded, temporal split) and rank features by permutation importance on
the test split (ROC AUC drop). Needs scikit-learn (the ``bench`` extra).

    python benchmarks/lead_scoring_motifs.py --n-leads 20000 --seeds 1 2
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np
import polars as pl
from leadforge_lead_scoring.snapshot.task import TASK
from leadforge_lead_scoring.world.motifs import MOTIF_FAMILIES
from sklearn.inspection import permutation_importance
from sklearn.metrics import roc_auc_score

from leadforge_core.api import Generator

sys.path.insert(0, str(Path(__file__).parent))
from lead_scoring_learnability import CATEGORICAL, NUMERIC, _matrix, hgb_classifier

NAMES = CATEGORICAL + NUMERIC


def importances(motif: str, seed: int, n_leads: int) -> tuple[dict[str, float], float]:
    bundle = Generator.from_recipe(
        "b2b_saas_procurement_v1",
        seed=seed,
        exposure_mode="student_public",
        difficulty="intermediate",
        motif=motif,
        n_leads=n_leads,
    ).generate(timestamp=0)
    sp = bundle.tasks[TASK].splits
    train = pl.concat([sp["train"], sp["valid"]])
    vocab = {
        c: sorted(train[c].cast(pl.String).fill_null("(missing)").unique().to_list())
        for c in CATEGORICAL
    }
    xtr, ytr = _matrix(train, False, vocab)
    xte, yte = _matrix(sp["test"], False, vocab)
    model = hgb_classifier(list(range(len(CATEGORICAL))), seed).fit(xtr, ytr)
    auc = float(roc_auc_score(yte, model.predict_proba(xte)[:, 1]))
    pi = permutation_importance(model, xte, yte, scoring="roc_auc", n_repeats=3, random_state=seed)
    return dict(zip(NAMES, pi.importances_mean.tolist(), strict=True)), auc


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--n-leads", type=int, default=20_000)
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--top", type=int, default=5)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    results: dict[str, dict[str, object]] = {}
    for motif in MOTIF_FAMILIES:
        total: dict[str, float] = defaultdict(float)
        aucs = []
        for seed in args.seeds:
            imp, auc = importances(motif, seed, args.n_leads)
            aucs.append(auc)
            for k, v in imp.items():
                total[k] += v / len(args.seeds)
        top = sorted(total.items(), key=lambda kv: -kv[1])[: args.top]
        results[motif] = {"hgb_roc_auc": float(np.mean(aucs)), "top": top}
        print(json.dumps({"motif": motif, **results[motif]}), flush=True)
    print(
        f"\n| motif family | HGB ROC AUC | top {args.top} features (permutation importance, AUC drop) |"
    )
    print("|---|---|---|")
    for motif, r in results.items():
        feats = ", ".join(f"{k} ({v:.3f})" for k, v in r["top"])  # type: ignore[attr-defined]
        print(f"| {motif} | {r['hgb_roc_auc']:.3f} | {feats} |")
    tops = [{k for k, _ in r["top"]} for r in results.values()]  # type: ignore[attr-defined]
    distinct = len({tuple(sorted(t)) for t in tops})
    print(f"\ndistinct top-{args.top} sets: {distinct} of {len(tops)}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()

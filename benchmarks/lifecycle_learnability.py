"""Lifecycle learnability per difficulty tier x seed, and the two-part (ZILN-style) lesson.

    python benchmarks/lifecycle_learnability.py [--customers 20000] [--seeds 1 2 3 4 5]

For each tier and seed it generates an instructor world in memory and reports, on the calendar
regime (train split to fit, valid + test to score):
  * target shape: exact-zero share per window, share realising < 0.5 x run-rate
    (current MRR x months in the window), top-10% share of 730-day revenue;
  * HistGradientBoosting ROC AUC for churned_within_180d without the leakage traps;
  * Spearman on ltv_revenue_365d (HGB on log1p) without and with mrr_change_full_period;
  * ltv_revenue_730d: a two-part model (P(value > 0) x lognormal mean of positive values)
    against plain squared-error HGB regression: Spearman, normalized Gini, top-decile value
    capture, decile calibration error and total predicted / actual; a second two-part variant
    with a gamma-deviance (log-link) positive part is reported alongside.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import polars as pl
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.metrics import roc_auc_score

from leadforge_core.api import Generator

sys.path.insert(0, str(Path(__file__).parent))
from _lifecycle_eval import ID_COLUMNS, TRAPS, design, value_metrics

TIERS = ("intro", "intermediate", "advanced")
MONTHS = {90: 90 / 30.4375, 365: 12.0, 730: 24.0}
HGB = {"max_iter": 300, "learning_rate": 0.05, "random_state": 0}


def _splits(bundle, task: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    s = bundle.tasks[task].splits
    return s["train"], pl.concat([s["valid"], s["test"]])


def _shape(bundle) -> dict[str, float]:
    out: dict[str, float] = {}
    for w in (90, 365, 730):
        frame = pl.concat(bundle.tasks[f"ltv_revenue_{w}d"].splits.values())
        y, mrr = frame[f"ltv_revenue_{w}d"].to_numpy(), frame["current_mrr"].to_numpy()
        out[f"zero_{w}"] = float(np.mean(y == 0))
        out[f"short_{w}"] = float(np.mean(y < 0.5 * mrr * MONTHS[w]))
        if w == 730:
            v = np.sort(y)[::-1]
            out["top10_share"] = float(v[: v.size // 10].sum() / v.sum())
    return out


def _churn_auc(bundle) -> float:
    target = "churned_within_180d"
    train, test = _splits(bundle, target)
    xtr, xte = design([train, test], (*ID_COLUMNS, *TRAPS, target))
    model = HistGradientBoostingClassifier(**HGB).fit(xtr, train[target].to_numpy())
    return float(roc_auc_score(test[target].to_numpy(), model.predict_proba(xte)[:, 1]))


def _trap_spearman(bundle) -> tuple[float, float]:
    target = "ltv_revenue_365d"
    train, test = _splits(bundle, target)
    out = []
    for keep in (False, True):
        drop = (*ID_COLUMNS, target, *(t for t in TRAPS if not (keep and t == TRAPS[0])))
        xtr, xte = design([train, test], drop)
        model = HistGradientBoostingRegressor(**HGB).fit(xtr, np.log1p(train[target].to_numpy()))
        out.append(value_metrics(test[target].to_numpy(), model.predict(xte))["spearman"])
    return out[0], out[1]


def _ziln_vs_mse(bundle) -> dict[str, dict[str, float]]:
    target = "ltv_revenue_730d"
    train, test = _splits(bundle, target)
    xtr, xte = design([train, test], (*ID_COLUMNS, *TRAPS, target))
    y, yte = train[target].to_numpy(), test[target].to_numpy()
    positive = y > 0
    clf = HistGradientBoostingClassifier(**HGB).fit(xtr, positive.astype(int))
    reg = HistGradientBoostingRegressor(**HGB).fit(xtr[positive], np.log(y[positive]))
    sigma2 = float(np.var(np.log(y[positive]) - reg.predict(xtr[positive])))
    two_part = clf.predict_proba(xte)[:, 1] * np.exp(reg.predict(xte) + sigma2 / 2)
    gamma = HistGradientBoostingRegressor(loss="gamma", **HGB).fit(xtr[positive], y[positive])
    hurdle_gamma = clf.predict_proba(xte)[:, 1] * gamma.predict(xte)
    mse = HistGradientBoostingRegressor(loss="squared_error", **HGB).fit(xtr, y).predict(xte)
    return {
        "two_part": value_metrics(yte, two_part),
        "two_part_gamma": value_metrics(yte, hurdle_gamma),
        "squared_error": value_metrics(yte, mse),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4, 5])
    parser.add_argument("--tiers", nargs="+", default=list(TIERS))
    parser.add_argument("--json", type=Path, help="also write every figure to this file")
    args = parser.parse_args()
    rows = []
    print(
        "| tier | seed | zero 90/365/730 | short 90/365/730 | top10 | churn AUC | "
        "Spearman365 -trap/+trap | Gini730 2-part/gamma/MSE | top-dec 2-part/MSE | "
        "dec-cal 2-part/MSE |"
    )
    print("|---|---:|---|---|---:|---:|---|---|---|---|")
    for tier in args.tiers:
        for seed in args.seeds:
            bundle = Generator.from_recipe(
                "b2b_saas_ltv_v1",
                seed=seed,
                exposure_mode="research_instructor",
                difficulty=tier,
                n_customers=args.customers,
            ).generate(timestamp="2026-01-01T00:00:00Z")
            row = {"tier": tier, "seed": seed, **_shape(bundle), "churn_auc": _churn_auc(bundle)}
            row["spearman365_no_trap"], row["spearman365_trap"] = _trap_spearman(bundle)
            row["ltv730"] = _ziln_vs_mse(bundle)
            rows.append(row)
            tp, ms = row["ltv730"]["two_part"], row["ltv730"]["squared_error"]
            gm = row["ltv730"]["two_part_gamma"]
            print(
                f"| {tier} | {seed} | {row['zero_90']:.3f}/{row['zero_365']:.3f}/"
                f"{row['zero_730']:.3f} | {row['short_90']:.3f}/{row['short_365']:.3f}/"
                f"{row['short_730']:.3f} | {row['top10_share']:.3f} | {row['churn_auc']:.3f} | "
                f"{row['spearman365_no_trap']:.3f}/{row['spearman365_trap']:.3f} | "
                f"{tp['gini']:.3f}/{gm['gini']:.3f}/{ms['gini']:.3f} | {tp['top_decile']:.3f}/"
                f"{ms['top_decile']:.3f} | {tp['decile_cal_err']:.3f}/{ms['decile_cal_err']:.3f} |",
                flush=True,
            )
    print()
    print(
        "| tier | mean churn AUC | min zero730 | short730 range | min top10 | "
        "min trap gain | 2-part Gini wins | gamma 2-part Gini wins | 2-part Spearman wins |"
    )
    print("|---|---:|---:|---|---:|---:|---|---|---|")
    for tier in args.tiers:
        sel = [r for r in rows if r["tier"] == tier]

        def wins(model: str, metric: str, sel: list[dict] = sel) -> str:
            won = sum(
                r["ltv730"][model][metric] > r["ltv730"]["squared_error"][metric] for r in sel
            )
            return f"{won}/{len(sel)}"

        gain = min(r["spearman365_trap"] - r["spearman365_no_trap"] for r in sel)
        print(
            f"| {tier} | {np.mean([r['churn_auc'] for r in sel]):.3f} | "
            f"{min(r['zero_730'] for r in sel):.3f} | "
            f"{min(r['short_730'] for r in sel):.3f}-{max(r['short_730'] for r in sel):.3f} | "
            f"{min(r['top10_share'] for r in sel):.3f} | {gain:.3f} | "
            f"{wins('two_part', 'gini')} | {wins('two_part_gamma', 'gini')} | "
            f"{wins('two_part', 'spearman')} |"
        )
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()

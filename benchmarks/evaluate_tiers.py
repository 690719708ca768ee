"""Difficulty tiers as a student meets them: `leadforge evaluate`'s defaults and the tuned models.

For each scheme, tier and seed: generate a public bundle, save it, run ``leadforge evaluate``
on it (library-default gradient boosting, one-hot logistic / ridge regression) and fit the
tuned benchmark models of ``lead_scoring_learnability.py`` / ``lifecycle_learnability.py`` on
the same splits. With ``--instructor`` the instructor bundle of the same world is evaluated too
and its oracle ceiling (gradient boosting on the per-row hidden truth) is reported. Needs
scikit-learn (the ``evaluate`` extra).

    python benchmarks/evaluate_tiers.py --seeds 101 102 103 104 105 [--scheme lead_scoring]
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import polars as pl

sys.path.insert(0, str(Path(__file__).parent))
import lead_scoring_learnability as ls
import lifecycle_learnability as lc
from leadforge_lead_scoring.snapshot.task import LABEL, TASK

from leadforge_core.api import Generator
from leadforge_core.evaluate.report import evaluate_bundle

TIERS = ("intro", "intermediate", "advanced")
RECIPES = {"lead_scoring": "b2b_saas_procurement_v1", "lifecycle": "b2b_saas_ltv_v1"}


def _generate(scheme: str, tier: str, seed: int, n: int, mode: str) -> Any:
    size = {"n_leads": n} if scheme == "lead_scoring" else {"n_customers": n}
    return Generator.from_recipe(
        RECIPES[scheme], seed=seed, exposure_mode=mode, difficulty=tier, **size
    ).generate(timestamp=0)


def _evaluate(bundle: Any) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        return evaluate_bundle(bundle.save(Path(tmp) / "b"))


def _headline(task: dict[str, Any], model: str, variant: str = "without_traps") -> float | None:
    scores = task["models"].get(variant, {}).get(model) or {}
    return scores.get("roc_auc", scores.get("spearman"))


def _oracle(report: dict[str, Any], task: str) -> dict[str, Any]:
    oracle = report["tasks"][task]["oracle"]
    if not oracle.get("available"):
        return {}
    m = oracle["metrics"]
    return {"oracle": m.get("roc_auc", m.get("spearman")), "oracle_gap": oracle["gap"]}


def lead_scoring_row(tier: str, seed: int, n: int, instructor: bool) -> dict[str, Any]:
    bundle = _generate("lead_scoring", tier, seed, n, "student_public")
    task = _evaluate(bundle)["tasks"][TASK]
    rule = task["leakage_audit"]["best_rule"] or {}
    trap = task["leakage_audit"]["trap_effect"]
    splits = bundle.tasks[TASK].splits
    rows = pl.concat(list(splits.values()))
    tuned, tuned_trap = ls.fit_models(splits, False, seed), ls.fit_models(splits, True, seed)
    row: dict[str, Any] = {
        "tier": tier,
        "seed": seed,
        "prevalence": float(rows[LABEL].mean()),
        "eval_hgb": _headline(task, "hgb"),
        "eval_linear": _headline(task, "linear"),
        "eval_trap_gain": trap["hgb"]["gain"],
        "rule_precision": rule.get("precision"),
        "rule_recall": rule.get("recall"),
        "rule": rule.get("rule"),
        "tuned_hgb": tuned["hgb_roc_auc"],
        "tuned_lr": tuned["lr_roc_auc"],
        "tuned_trap_gain": tuned_trap["hgb_roc_auc"] - tuned["hgb_roc_auc"],
    }
    if instructor:
        report = _evaluate(_generate("lead_scoring", tier, seed, n, "research_instructor"))
        row.update(_oracle(report, TASK))
    return row


def lifecycle_row(tier: str, seed: int, n: int, instructor: bool) -> dict[str, Any]:
    bundle = _generate("lifecycle", tier, seed, n, "student_public")
    tasks = _evaluate(bundle)["tasks"]
    churn, ltv365, ltv730 = (
        tasks["churned_within_180d"],
        tasks["ltv_revenue_365d"],
        tasks["ltv_revenue_730d"],
    )
    row: dict[str, Any] = {
        "tier": tier,
        "seed": seed,
        **lc._shape(bundle),
        "eval_churn_hgb": _headline(churn, "hgb"),
        "eval_churn_linear": _headline(churn, "linear"),
        "eval_sp365_hgb": _headline(ltv365, "hgb"),
        "eval_sp365_trap_gain": ltv365["leakage_audit"]["trap_effect"]["hgb"]["gain"],
        "eval_gini730_two_part": ltv730["models"]["without_traps"]["two_part"]["gini"],
        "eval_gini730_hgb": ltv730["models"]["without_traps"]["hgb"]["gini"],
        "tuned_churn_auc": lc._churn_auc(bundle),
    }
    row["tuned_sp365"], row["tuned_sp365_trap"] = lc._trap_spearman(bundle)
    ziln = lc._ziln_vs_mse(bundle)
    row["tuned_gini730_two_part"] = ziln["two_part"]["gini"]
    row["tuned_gini730_mse"] = ziln["squared_error"]["gini"]
    if instructor:
        report = _evaluate(_generate("lifecycle", tier, seed, n, "research_instructor"))
        row.update(_oracle(report, "churned_within_180d"))
    return row


def _mean(rows: list[dict[str, Any]], key: str) -> float:
    values = [r[key] for r in rows if r.get(key) is not None]
    return statistics.mean(values) if values else float("nan")


def lead_scoring_table(rows: list[dict[str, Any]], tiers: list[str]) -> None:
    print(
        "\n| tier | prevalence | evaluate HGB | evaluate linear | HGB - linear | evaluate trap "
        "gain | tuned HGB | tuned LR | tuned HGB - LR | tuned trap gain | best rule precision "
        "(max) | oracle ceiling | oracle - HGB |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for tier in tiers:
        rs = [r for r in rows if r["tier"] == tier]
        m = {k: _mean(rs, k) for k in rs[0] if isinstance(rs[0][k], float)}
        worst = max((r["rule_precision"] or 0.0) for r in rs)
        print(
            f"| {tier} | {m['prevalence']:.3f} | {m['eval_hgb']:.3f} | {m['eval_linear']:.3f} | "
            f"{m['eval_hgb'] - m['eval_linear']:+.3f} | {m['eval_trap_gain']:+.3f} | "
            f"{m['tuned_hgb']:.3f} | {m['tuned_lr']:.3f} | {m['tuned_hgb'] - m['tuned_lr']:+.3f} | "
            f"{m['tuned_trap_gain']:+.3f} | {worst:.3f} | {m.get('oracle', float('nan')):.3f} | "
            f"{m.get('oracle_gap', float('nan')):+.3f} |"
        )


def lifecycle_table(rows: list[dict[str, Any]], tiers: list[str]) -> None:
    print(
        "\n| tier | short730 range | zero730 min | top10 min | evaluate churn HGB | evaluate "
        "churn linear | tuned churn AUC | evaluate Spearman365 | evaluate trap gain | tuned trap "
        "gain (min) | Gini730 2-part vs HGB (evaluate) | Gini730 2-part vs MSE (tuned) | "
        "oracle churn ceiling |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for tier in tiers:
        rs = [r for r in rows if r["tier"] == tier]
        sh = [r["short_730"] for r in rs]
        gains = [r["tuned_sp365_trap"] - r["tuned_sp365"] for r in rs]
        ev_wins = sum(r["eval_gini730_two_part"] > r["eval_gini730_hgb"] for r in rs)
        tu_wins = sum(r["tuned_gini730_two_part"] > r["tuned_gini730_mse"] for r in rs)
        print(
            f"| {tier} | {min(sh):.3f}-{max(sh):.3f} | {min(r['zero_730'] for r in rs):.3f} | "
            f"{min(r['top10_share'] for r in rs):.3f} | {_mean(rs, 'eval_churn_hgb'):.3f} | "
            f"{_mean(rs, 'eval_churn_linear'):.3f} | {_mean(rs, 'tuned_churn_auc'):.3f} | "
            f"{_mean(rs, 'eval_sp365_hgb'):.3f} | {_mean(rs, 'eval_sp365_trap_gain'):+.3f} | "
            f"{statistics.mean(gains):+.3f} ({min(gains):+.3f}) | {ev_wins}/{len(rs)} | "
            f"{tu_wins}/{len(rs)} | {_mean(rs, 'oracle'):.3f} |"
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scheme", choices=[*RECIPES, "both"], default="both")
    ap.add_argument("--n", type=int, default=20_000, help="leads / customers per bundle")
    ap.add_argument("--seeds", type=int, nargs="+", default=[101, 102, 103, 104, 105])
    ap.add_argument("--tiers", nargs="+", default=list(TIERS))
    ap.add_argument("--instructor", action="store_true", help="also report the oracle ceiling")
    ap.add_argument("--json", type=Path, help="write every figure to this file")
    ap.add_argument(
        "--recipe", type=Path, help="a recipe file to measure instead of the built-in one"
    )
    args = ap.parse_args()
    schemes = list(RECIPES) if args.scheme == "both" else [args.scheme]
    if args.recipe:
        if len(schemes) != 1:
            ap.error("--recipe needs --scheme lead_scoring or --scheme lifecycle")
        RECIPES[schemes[0]] = str(args.recipe)
    out: dict[str, list[dict[str, Any]]] = {}
    for scheme in schemes:
        fn = lead_scoring_row if scheme == "lead_scoring" else lifecycle_row
        rows = out.setdefault(scheme, [])
        for tier in args.tiers:
            for seed in args.seeds:
                t0 = time.perf_counter()
                row = fn(tier, seed, args.n, args.instructor)
                row["seconds"] = round(time.perf_counter() - t0, 1)
                rows.append(row)
                print(
                    json.dumps(
                        {
                            "scheme": scheme,
                            **{
                                k: round(v, 4) if isinstance(v, float) else v
                                for k, v in row.items()
                            },
                        }
                    ),
                    flush=True,
                )
    if "lead_scoring" in out:
        lead_scoring_table(out["lead_scoring"], args.tiers)
    if "lifecycle" in out:
        lifecycle_table(out["lifecycle"], args.tiers)
    if args.json:
        args.json.write_text(json.dumps(out, indent=2, default=float))


if __name__ == "__main__":
    main()

"""The difficulty verdict: measured figures against the recipe's declared bands, in words."""

from __future__ import annotations

from typing import Any

from leadforge_core.evaluate.metrics import HEADLINE

#: Rules this precise on at least 5 % of the positives mean a column (nearly) gives the answer.
GIVEAWAY_PRECISION = 0.95
#: Plain-language strength of the best honest baseline, by its headline figure.
STRENGTH = {
    "binary": ((0.90, "easy"), (0.80, "moderate"), (0.70, "hard"), (0.60, "very hard")),
    "regression": ((0.85, "easy"), (0.70, "moderate"), (0.55, "hard"), (0.40, "very hard")),
}
LABELS = {"roc_auc": "ROC AUC", "pr_auc": "PR AUC", "spearman": "Spearman", "gini": "Gini"}


def strength(task_type: str, value: float | None) -> str:
    """``easy`` / ``moderate`` / ``hard`` / ``very hard`` / ``barely learnable``."""
    if value is None:
        return "not measurable"
    for floor, word in STRENGTH[task_type]:
        if value >= floor:
            return word
    return "barely learnable"


def _measured(task: dict[str, Any], metric: str) -> float | None:
    if metric == "prevalence":
        value = task["target_summary"].get("prevalence")
    elif metric in ("mean", "zero_share"):
        value = task["target_summary"].get(metric)
    else:
        models = task["models"]["without_traps"]
        value = (models.get("hgb") or models["dummy"]).get(metric)
    return value if isinstance(value, int | float) else None


def band_checks(task: dict[str, Any], bands: dict[str, list[float]]) -> list[dict[str, Any]]:
    """One entry per declared band: measured value, band and ``within``/``below``/``above``."""
    out = []
    for metric, band in sorted(bands.items()):
        value = _measured(task, metric)
        lo, hi = float(band[0]), float(band[1])
        status = (
            "not measured"
            if value is None
            else "below"
            if value < lo
            else "above"
            if value > hi
            else "within"
        )
        out.append({"metric": metric, "measured": value, "band": [lo, hi], "status": status})
    return out


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def task_verdict(task: dict[str, Any], bands: dict[str, list[float]], level: str) -> dict[str, Any]:
    """Verdict of one evaluated task: status against its bands and sentences for people."""
    task_type = task["task_type"]
    headline = HEADLINE[task_type]
    label = LABELS[headline]
    models = task["models"]["without_traps"]
    best = models.get("hgb") or models["dummy"]
    value = best.get(headline)
    words = [
        f"Gradient boosting without the traps reaches {label} {_fmt(value)} on the test split: "
        f"{strength(task_type, value)} for students."
    ]
    linear = (models.get("linear") or {}).get(headline)
    if linear is not None and value is not None:
        gap = value - linear
        words.append(
            f"The linear baseline reaches {_fmt(linear)} ({gap:+.3f} from trees): "
            + (
                "there is non-linear structure worth finding."
                if gap >= 0.01
                else "a linear model captures most of the signal."
            )
        )
    if task_type == "regression" and "two_part" in models:
        tp = models["two_part"].get("gini")
        se = best.get("gini")
        if tp is not None and se is not None:
            words.append(
                f"The two-part (zero-inflated lognormal) model's Gini is {_fmt(tp)} against "
                f"{_fmt(se)} for squared error ({tp - se:+.3f})."
            )
    lesson = task["leakage_audit"]["trap_effect"].get("hgb") or {}
    if lesson.get("gain") is not None:
        traps = ", ".join(task["leakage_audit"]["traps"])
        words.append(
            f"Keeping the leakage trap ({traps}) lifts {label} by {lesson['gain']:+.3f}: "
            + (
                "students who miss it get a visibly inflated score."
                if lesson["gain"] >= 0.02
                else "the trap barely shows in the score, so it is hard to notice."
            )
        )
    rule = task["leakage_audit"].get("best_rule")
    # A high-value segment read off one column is expected in pLTV (revenue follows MRR); only
    # a binary label nearly decided by one column gives the answer away.
    giveaway = bool(task_type == "binary" and rule and rule["precision"] >= GIVEAWAY_PRECISION)
    if rule:
        words.append(
            f"Best single-column rule: {rule['rule']} (precision {rule['precision']:.3f} at "
            f"recall {rule['recall']:.3f}; base rate {rule['base_rate']:.3f})"
            + (" — it nearly gives the answer away." if giveaway else ".")
        )
    oracle = task.get("oracle") or {}
    if oracle.get("available") and oracle.get("gap") is not None:
        words.append(
            f"A model on the features plus the hidden truth reaches "
            f"{_fmt(oracle['metrics'].get(headline))}: "
            f"students can still gain up to {oracle['gap']:+.3f}."
        )
    checks = band_checks(task, bands)
    outside = [c for c in checks if c["status"] in ("below", "above")]
    if not checks:
        status = "no bands declared"
    elif outside:
        status = "outside declared bands"
    else:
        status = "as declared"
    for c in checks:
        name = LABELS.get(c["metric"], c["metric"])
        lo, hi = c["band"]
        if c["status"] == "within":
            words.append(f"{name} {_fmt(c['measured'])} is inside the {level} band {lo}-{hi}.")
        elif c["status"] != "not measured":
            harder = c["metric"] != "prevalence" and c["status"] == "below"
            easier = c["metric"] != "prevalence" and c["status"] == "above"
            how = (
                " (harder than declared)" if harder else " (easier than declared)" if easier else ""
            )
            words.append(
                f"{name} {_fmt(c['measured'])} is {c['status']} the {level} band {lo}-{hi}{how}."
            )
    return {
        "status": status,
        "strength": strength(task_type, value),
        "headline": {"metric": headline, "value": value},
        "giveaway_rule": giveaway,
        "checks": checks,
        "summary": words,
    }


def overall_verdict(report: dict[str, Any]) -> dict[str, Any]:
    """The bundle's verdict: ``as declared`` only when every declared band holds."""
    tasks = {n: t for n, t in report["tasks"].items() if "verdict" in t}
    statuses = [t["verdict"]["status"] for t in tasks.values()]
    outside = sorted(
        n for n, t in tasks.items() if t["verdict"]["status"] == "outside declared bands"
    )
    giveaways = sorted(n for n, t in tasks.items() if t["verdict"]["giveaway_rule"])
    if outside:
        status = "outside declared bands"
    elif "as declared" in statuses:
        status = "as declared"
    else:
        status = "no bands declared"
    level = report["bundle"].get("difficulty")
    primary = next((n for n, t in tasks.items() if t.get("primary")), next(iter(tasks), None))
    lines = []
    if primary is not None:
        v = tasks[primary]["verdict"]
        lines.append(
            f"{primary}: {v['strength']} ({LABELS[v['headline']['metric']]} "
            f"{_fmt(v['headline']['value'])}) at difficulty {level}."
        )
    if outside:
        lines.append("Outside the declared bands: " + ", ".join(outside) + ".")
    elif status == "as declared":
        lines.append(f"Every declared band of the {level} profile holds.")
    else:
        lines.append("The recipe declares no bands to check this bundle against.")
    if giveaways:
        lines.append("A single column nearly decides: " + ", ".join(giveaways) + ".")
    return {"status": status, "outside": outside, "giveaway_rules": giveaways, "summary": lines}

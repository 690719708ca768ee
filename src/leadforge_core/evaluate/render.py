"""Human-readable forms of an evaluation: rich tables for the terminal, markdown for files."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

MODEL_NAMES = {
    "dummy": "prior / mean",
    "linear": "linear (regularized)",
    "hgb": "gradient boosting",
    "two_part": "two-part (ZILN)",
}
COLUMNS = {
    "binary": ("roc_auc", "pr_auc", "brier", "calibration_error"),
    "regression": ("spearman", "gini", "top_decile_capture", "calibration_error", "total_ratio"),
}
HEADERS = {
    "roc_auc": "ROC AUC",
    "pr_auc": "PR AUC",
    "brier": "Brier",
    "calibration_error": "cal. error",
    "spearman": "Spearman",
    "gini": "Gini",
    "top_decile_capture": "top-decile capture",
    "total_ratio": "total pred/actual",
}


def _f(value: Any) -> str:
    return "—" if value is None else f"{value:.3f}" if isinstance(value, float) else str(value)


def _gaps(oracle: dict[str, Any]) -> str:
    """The ceiling's lead over each baseline, e.g. ``hgb +0.054, linear +0.071``."""
    gaps = oracle.get("gaps") or {"hgb": oracle.get("gap")}
    order = sorted(gaps, key=lambda name: (name != "hgb", name))
    return ", ".join(
        f"{name} {'—' if gaps[name] is None else f'{gaps[name]:+.3f}'}" for name in order
    )


def model_rows(task: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    """Header and rows of the baseline table of one task (both variants, plugin metrics)."""
    cols = list(COLUMNS[task["task_type"]])
    extra = sorted({k for v in task["models"].values() for m in v.values() for k in m["extra"]})
    header = ["model", "traps", *(HEADERS[c] for c in cols), *extra]
    rows = []
    for variant in sorted(task["models"], key=lambda v: v != "without_traps"):
        group = task["models"][variant]
        order = [*(n for n in MODEL_NAMES if n in group), *sorted(set(group) - set(MODEL_NAMES))]
        for name in order:
            m = group[name]
            rows.append(
                [
                    MODEL_NAMES.get(name, name),
                    "with" if variant == "with_traps" else "without",
                    *(_f(m.get(c)) for c in cols),
                    *(_f(m["extra"].get(k)) for k in extra),
                ]
            )
    return header, rows


def sampling_line(task: dict[str, Any]) -> str:
    """Which rows the models were fitted and scored on, in one sentence."""
    s = task.get("sampling") or {}
    if not s:
        return ""
    scored = f"scored on all {s['test_rows']:,} test rows"
    if s.get("sampled"):
        return (
            f"fitted on a sample of {s['fit_rows']:,} of the {s['available_fit_rows']:,} "
            f"train + valid rows (stratified by target, fixed seed; limit {s['max_fit_rows']:,}, "
            f"--max-fit-rows 0 fits on all); {scored}"
        )
    return f"fitted on all {s['fit_rows']:,} train + valid rows; {scored}"


def _audit_lines(task: dict[str, Any]) -> list[str]:
    a = task["leakage_audit"]
    lines = []
    r = a.get("best_rule")
    lines.append(
        f"best single-column rule ({a['rules_target']}): "
        + (
            f"{r['rule']} — precision {r['precision']:.3f}, recall {r['recall']:.3f}, "
            f"lift {_f(r['lift'])}"
            if r
            else "none reaches recall 0.05"
        )
    )
    t = a.get("best_trap_rule")
    if t:
        lines.append(f"best trap rule: {t['rule']} — precision {t['precision']:.3f}")
    for g in a["group_overlap"]:
        declared = " (declared grouping)" if g["key"] == a.get("declared_grouping") else ""
        lines.append(
            f"{g['key']}{declared}: {g['shared_groups']} of {g['test_groups']} test groups also "
            f"in train/valid ({g['test_row_share']:.1%} of test rows)"
        )
    order = a.get("time_order")
    if order:
        lines.append(
            f"split strategy {a.get('split_strategy')}; {order['column']} "
            + (
                "is one shared time for every row"
                if order["single_time"]
                else "ordered train < valid < test"
                if order["ordered"]
                else "overlaps across splits"
            )
        )
    return lines


def print_report(report: dict[str, Any], console: Console) -> None:
    """Print the evaluation as rich tables and short paragraphs."""
    b = report["bundle"]
    console.print(
        f"[bold]{escape(str(b['path']))}[/]  scheme {b['scheme']}  recipe {b['recipe']}  seed {b['seed']}  "
        f"{b['exposure_mode']}  difficulty {b['difficulty']}"
    )
    for name, task in report["tasks"].items():
        if "skipped" in task:
            console.print(f"{name}: skipped ({task['skipped']})")
            continue
        header, rows = model_rows(task)
        table = Table(title=escape(f"{name} ({task['task_type']}, test split)"))
        for i, h in enumerate(header):
            table.add_column(h, justify="left" if i < 2 else "right")
        for row in rows:
            table.add_row(*row)
        console.print(table)
        if line := sampling_line(task):
            console.print(f"  rows: {line}", markup=False)
        for line in _audit_lines(task):
            console.print(f"  audit: {line}", markup=False)
        oracle = task["oracle"]
        if oracle["available"]:
            hl = task["verdict"]["headline"]["metric"]
            console.print(
                f"  ceiling: the features plus {', '.join(oracle['columns'])} reach "
                f"{_f(oracle['metrics'].get(hl))} (gap {_gaps(oracle)})",
                markup=False,
            )
        else:
            console.print(f"  ceiling: unavailable — {oracle['reason']}", markup=False)
        v = task["verdict"]
        console.print(f"  verdict: {v['status']} — {v['strength']}", markup=False)
        for line in v["summary"]:
            console.print(f"    {line}", markup=False)
    console.print(f"[bold]overall:[/] {report['verdict']['status']}")
    for line in report["verdict"]["summary"]:
        console.print(f"  {line}", markup=False)


def _md_table(header: list[str], rows: list[list[str]]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return out


def to_markdown(report: dict[str, Any]) -> str:
    """The evaluation as a markdown summary (``evaluation.md``)."""
    b = report["bundle"]
    lines = [
        f"# Evaluation of {b['recipe']} (seed {b['seed']}, {b['exposure_mode']}, "
        f"{b['difficulty']})",
        "",
        f"**Verdict: {report['verdict']['status']}.** " + " ".join(report["verdict"]["summary"]),
        "",
    ]
    for name, task in report["tasks"].items():
        lines.append(f"## {name} ({task['task_type']})")
        lines.append("")
        if "skipped" in task:
            lines += [f"Skipped: {task['skipped']}.", ""]
            continue
        header, rows = model_rows(task)
        lines += _md_table(header, rows)
        lines.append("")
        if line := sampling_line(task):
            lines += [f"Rows: {line}.", ""]
        lines += [f"- {line}" for line in _audit_lines(task)]
        oracle = task["oracle"]
        if oracle["available"]:
            hl = task["verdict"]["headline"]["metric"]
            lines.append(
                f"- ceiling (the features plus {', '.join(oracle['columns'])}): "
                f"{_f(oracle['metrics'].get(hl))}, gap {_gaps(oracle)}"
            )
        else:
            lines.append(f"- ceiling: unavailable — {oracle['reason']}")
        lines.append("")
        v = task["verdict"]
        lines.append(f"**{v['status']}** — {v['strength']}. " + " ".join(v["summary"]))
        lines.append("")
    return "\n".join(lines)

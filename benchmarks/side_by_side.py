"""Compare `leadforge generate` speed between two installations, runs alternating.

Each installation is a Python interpreter with leadforge installed (for example the virtual
environments of two checkouts at different commits). Runs alternate A, B, A, B, … so that
machine drift affects both alike; the table reports every run and the median per side.

    python benchmarks/side_by_side.py --python A/.venv/bin/python --python B/.venv/bin/python \\
        --recipe b2b_saas_procurement_v1 --size-flag --n-leads --size 1000000 --repeat 3
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path


def run_once(python: str, args: argparse.Namespace) -> tuple[float, float, float]:
    out = Path(tempfile.mkdtemp(prefix="lf_sbs_")) / "bundle"
    cmd = [
        python,
        "-m",
        "leadforge_core",
        "generate",
        "--recipe",
        args.recipe,
        "--seed",
        str(args.seed),
        "--mode",
        args.mode,
        args.size_flag,
        str(args.size),
        "--out",
        str(out),
        "--quiet",
        "--timestamp",
        "0",
    ]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    shutil.rmtree(out.parent, ignore_errors=True)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"generation failed: {' '.join(cmd)}")
    cpu = usage.ru_utime + usage.ru_stime
    return wall, cpu, usage.ru_maxrss / 1e6  # KiB → GB


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", action="append", required=True, help="interpreter (twice)")
    parser.add_argument("--label", action="append", help="a name for each interpreter")
    parser.add_argument("--recipe", default="b2b_saas_procurement_v1")
    parser.add_argument("--size-flag", default="--n-leads")
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--mode", default="student_public")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    labels = args.label or [f"#{i + 1}" for i in range(len(args.python))]
    runs: dict[str, list[tuple[float, float, float]]] = {label: [] for label in labels}
    print(f"{args.recipe} {args.size_flag} {args.size} {args.mode} seed {args.seed}")
    print("| run | side | wall (s) | CPU (s) | peak RSS (GB) | load before |")
    print("|---:|---|---:|---:|---:|---:|")
    for r in range(args.repeat):
        for python, label in zip(args.python, labels, strict=True):
            load = os.getloadavg()[0]
            wall, cpu, rss = run_once(python, args)
            runs[label].append((wall, cpu, rss))
            print(f"| {r + 1} | {label} | {wall:.2f} | {cpu:.2f} | {rss:.2f} | {load:.2f} |")
    print()
    print("| side | median wall (s) | median CPU (s) | median peak RSS (GB) |")
    print("|---|---:|---:|---:|")
    for label, values in runs.items():
        wall, cpu, rss = (statistics.median(v[i] for v in values) for i in range(3))
        print(f"| {label} | {wall:.2f} | {cpu:.2f} | {rss:.2f} |")
    if len(labels) == 2:
        a, b = (statistics.median(v[0] for v in runs[label]) for label in labels)
        print(f"\n{labels[1]} / {labels[0]} median wall: {b / a:.3f}")


if __name__ == "__main__":
    main()

"""Lifecycle throughput and memory: `leadforge generate` end to end (simulate, render, write,
validate) at 10k and 100k customers, each run in a fresh process.

    python benchmarks/lifecycle_speed.py [--sizes 10000 100000] [--seed 7]

Wall time and peak RSS are those of the child process (os.wait4), so the figures include
interpreter start-up and plugin loading.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def run(n: int, mode: str, seed: int, out: Path) -> tuple[float, float]:
    cmd = [
        sys.executable,
        "-m",
        "leadforge_core",
        "generate",
        "--recipe",
        "b2b_saas_ltv_v1",
        "--seed",
        str(seed),
        "--mode",
        mode,
        "--n-customers",
        str(n),
        "--out",
        str(out),
        "--force",
        "--quiet",
        "--timestamp",
        "2026-01-01T00:00:00Z",
    ]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"generation failed: {' '.join(cmd)}")
    return wall, usage.ru_maxrss / 1024**2  # KiB → GiB


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    print(f"cpus: {os.cpu_count()}")
    print("| customers | mode | wall (s) | customers/s | peak RSS (GiB) | bundle (MiB) |")
    print("|---:|---|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.sizes:
            for mode in ("student_public", "research_instructor"):
                out = Path(tmp) / f"{mode}_{n}"
                wall, rss = run(n, mode, args.seed, out)
                size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file()) / 1024**2
                print(
                    f"| {n:,} | {mode} | {wall:.2f} | {n / wall:,.0f} | {rss:.2f} | {size:.1f} |",
                    flush=True,
                )


if __name__ == "__main__":
    main()

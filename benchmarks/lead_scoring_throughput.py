"""Throughput and peak memory of ``leadforge generate`` for the lead-scoring recipe.

Each size runs the CLI end to end in a fresh process (simulate, render, write Parquet,
validate) and reports wall time, CPU time and that process's peak RSS (in GiB and in GB).

    python benchmarks/lead_scoring_throughput.py --sizes 10000 100000 1000000
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def run(n_leads: int, mode: str, difficulty: str, seed: int) -> dict[str, object]:
    out = Path(tempfile.mkdtemp(prefix="lf_bench_")) / "bundle"
    cmd = [
        sys.executable,
        "-c",
        "from leadforge_core.cli.app import main; main()",
        "generate",
        "--recipe",
        "b2b_saas_procurement_v1",
        "--seed",
        str(seed),
        "--mode",
        mode,
        "--difficulty",
        difficulty,
        "--n-leads",
        str(n_leads),
        "--out",
        str(out),
        "--quiet",
        "--json",
        "--timestamp",
        "0",
    ]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    assert proc.stderr is not None
    stderr = proc.stderr.read()
    # wait4 gives this child's own resource usage (ru_maxrss in KiB on Linux).
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    peak_bytes = usage.ru_maxrss * 1024
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file()) if out.exists() else 0
    shutil.rmtree(out.parent, ignore_errors=True)
    if proc.returncode != 0:
        raise SystemExit(f"generate failed ({proc.returncode}): {stderr.strip()[-500:]}")
    return {
        "n_leads": n_leads,
        "mode": mode,
        "difficulty": difficulty,
        "seconds": round(wall, 2),
        "leads_per_second": round(n_leads / wall),
        "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 2),
        "peak_rss_gib": round(peak_bytes / 2**30, 2),
        "peak_rss_gb": round(peak_bytes / 1e9, 2),
        "bundle_mb": round(size / 1e6, 1),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    ap.add_argument("--mode", default="student_public")
    ap.add_argument("--difficulty", default="intermediate")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=1, help="runs per size (each reported)")
    args = ap.parse_args()
    rows = []
    for n in args.sizes:
        for _ in range(args.repeat):
            load = os.getloadavg()[0]
            r = run(n, args.mode, args.difficulty, args.seed)
            # Other work on the machine slows a run down: report the 1-minute load before it.
            r["load_before"] = round(load, 2)
            rows.append(r)
            print(json.dumps(r), flush=True)
    print(
        "\n| leads | mode | seconds | CPU seconds | leads/s | peak RSS (GiB) | peak RSS (GB) "
        "| bundle (MB) | load before |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['n_leads']:,} | {r['mode']} | {r['seconds']} | {r['cpu_seconds']} | "
            f"{r['leads_per_second']:,} | {r['peak_rss_gib']} | {r['peak_rss_gb']} | "
            f"{r['bundle_mb']} | {r['load_before']} |"
        )


if __name__ == "__main__":
    main()

"""Throughput and peak memory of ``leadforge generate`` for the lead-scoring recipe.

Each size runs the CLI end to end in a fresh process (simulate, render, write Parquet,
validate) and reports wall time and the child's peak RSS.

    python benchmarks/lead_scoring_throughput.py --sizes 10000 100000 1000000
"""

from __future__ import annotations

import argparse
import json
import resource
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
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - t0
    # Peak RSS of the largest child so far (Linux reports KiB).
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024**2
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file()) if out.exists() else 0
    shutil.rmtree(out.parent, ignore_errors=True)
    if proc.returncode != 0:
        raise SystemExit(f"generate failed ({proc.returncode}): {proc.stderr.strip()[-500:]}")
    return {
        "n_leads": n_leads,
        "mode": mode,
        "difficulty": difficulty,
        "seconds": round(wall, 2),
        "leads_per_second": round(n_leads / wall),
        "peak_rss_gb": round(peak, 2),
        "bundle_mb": round(size / 1e6, 1),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    ap.add_argument("--mode", default="student_public")
    ap.add_argument("--difficulty", default="intermediate")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    rows = []
    # Smallest first: ru_maxrss of children is a running maximum.
    for n in sorted(args.sizes):
        r = run(n, args.mode, args.difficulty, args.seed)
        rows.append(r)
        print(json.dumps(r), flush=True)
    print("\n| leads | seconds | leads/s | peak RSS (GB) | bundle (MB) |")
    print("|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['n_leads']:,} | {r['seconds']} | {r['leads_per_second']:,} | "
            f"{r['peak_rss_gb']} | {r['bundle_mb']} |"
        )


if __name__ == "__main__":
    main()

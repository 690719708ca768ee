"""Scale benchmark: generate (and validate) big worlds at 1 and 2 workers.

For every size, mode and worker count it runs ``leadforge generate`` in a subprocess and
reports wall time, CPU time (the whole process tree), the peak resident memory of the tree
(parent plus workers, summed at each moment, sampled every 50 ms from ``/proc``), the rows and
bytes written. ``leadforge validate`` of the same bundle is measured the same way.

    python benchmarks/scale.py --recipe b2b_saas_procurement_v1 --size-flag=--n-leads \\
        --sizes 1000000 10000000 --modes student_public research_instructor --workers 1 2
    python benchmarks/scale.py --recipe b2b_saas_ltv_v1 --size-flag=--n-customers \\
        --sizes 1000000 --workers 1 2

Targets (idle 2-core machine): t(10M)/t(1M) ≤ 10.5 at the same worker count, 2 workers ≥ 1.6 times
faster than 1 at 10M, peak tree memory ≤ 3 GB and within 20 % of the 1M peak.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

PAGE = os.sysconf("SC_PAGE_SIZE")


def _tree(root: int) -> list[int]:
    """``root`` and every descendant, from ``/proc/*/stat`` parent links."""
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents.setdefault(int(fields[1]), []).append(int(entry))
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(parents.get(pid, []))
    return out


def _rss(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm", encoding="ascii") as fh:
            return int(fh.read().split()[1]) * PAGE
    except (OSError, IndexError, ValueError):
        return 0


class TreeSampler(threading.Thread):
    """Samples the summed RSS of a process tree until stopped; keeps the peak."""

    def __init__(self, pid: int, every: float = 0.05) -> None:
        super().__init__(daemon=True)
        self.pid, self.every, self.peak = pid, every, 0
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            self.peak = max(self.peak, sum(_rss(p) for p in _tree(self.pid)))
            self.done.wait(self.every)


def measure(cmd: list[str]) -> dict[str, Any]:
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    sampler = TreeSampler(proc.pid)
    sampler.start()
    out, err = proc.communicate()
    wall = time.perf_counter() - start
    sampler.done.set()
    sampler.join()
    if proc.returncode != 0:
        raise SystemExit(f"failed ({proc.returncode}): {' '.join(cmd)}\n{err.strip()}")
    return {"wall_s": round(wall, 2), "peak_tree_gb": round(sampler.peak / 1e9, 3), "stdout": out}


def _cpu_children() -> float:
    import resource

    u = resource.getrusage(resource.RUSAGE_CHILDREN)
    return u.ru_utime + u.ru_stime


def bundle_size(path: Path) -> tuple[int, int]:
    manifest = json.loads((path / "manifest.json").read_text())
    rows = sum(int(t.get("rows", 0)) for t in manifest.get("tables", {}).values())
    size = sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    return rows, size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipe", default="b2b_saas_procurement_v1")
    parser.add_argument("--size-flag", default="--n-leads")
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000])
    parser.add_argument("--modes", nargs="+", default=["student_public"])
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--scratch", type=Path, default=None, help="folder for the bundles")
    parser.add_argument("--no-validate", action="store_true")
    parser.add_argument("--json", type=Path, default=None, help="also write results here")
    args = parser.parse_args()
    py = sys.executable
    results = []
    for size in args.sizes:
        for mode in args.modes:
            for workers in args.workers:
                scratch = Path(tempfile.mkdtemp(prefix="lf_scale_", dir=args.scratch))
                out = scratch / "bundle"
                gen = [py, "-m", "leadforge_core", "generate", "--recipe", args.recipe,
                       "--seed", str(args.seed), "--mode", mode, args.size_flag, str(size),
                       "--workers", str(workers), "--out", str(out), "--quiet",
                       "--timestamp", "0"]  # fmt: skip
                cpu0 = _cpu_children()
                row: dict[str, Any] = {"size": size, "mode": mode, "workers": workers}
                g = measure(gen)
                row.update(gen_wall_s=g["wall_s"], gen_cpu_s=round(_cpu_children() - cpu0, 2))
                row["gen_peak_tree_gb"] = g["peak_tree_gb"]
                row["rows"], row["bytes"] = bundle_size(out)
                if not args.no_validate:
                    cpu0 = _cpu_children()
                    v = measure([py, "-m", "leadforge_core", "validate", str(out)])
                    row.update(val_wall_s=v["wall_s"], val_cpu_s=round(_cpu_children() - cpu0, 2))
                    row["val_peak_tree_gb"] = v["peak_tree_gb"]
                shutil.rmtree(scratch, ignore_errors=True)
                results.append(row)
                print(json.dumps(row), flush=True)
    print()
    print("| size | mode | workers | generate s | CPU s | peak tree GB | validate s | "
          "validate peak GB | rows | MB |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        print(f"| {r['size']:,} | {r['mode']} | {r['workers']} | {r['gen_wall_s']} | "
              f"{r['gen_cpu_s']} | {r['gen_peak_tree_gb']} | {r.get('val_wall_s', '-')} | "
              f"{r.get('val_peak_tree_gb', '-')} | {r['rows']:,} | {r['bytes'] / 1e6:.0f} |")  # fmt: skip
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()

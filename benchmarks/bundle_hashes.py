"""sha256 of every file of a matrix of bundles (both schemes, both modes, every difficulty).

Run it before and after a change that should not alter output and compare the two files:

    python benchmarks/bundle_hashes.py --out before.json
    ... change ...
    python benchmarks/bundle_hashes.py --out after.json --compare before.json

``--compare`` prints every bundle file whose hash differs and exits 1 when any does.
``--workers N`` / ``--dask ADDRESS`` generate on worker processes or a Dask cluster instead:
the hashes must be the same as in one process.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
from pathlib import Path

from leadforge_core import Generator
from leadforge_core.executors import make_executor

TIMESTAMP = "2026-01-01T00:00:00Z"
MATRIX = [
    ("b2b_saas_procurement_v1", {"n_leads": 3000}),
    ("b2b_saas_ltv_v1", {"n_customers": 2000}),
]
MODES = ("student_public", "research_instructor")
DIFFICULTIES = ("intro", "intermediate", "advanced")


def bundle_hashes(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--compare", type=Path)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--dask", default=None)
    args = parser.parse_args()
    result: dict[str, dict[str, str]] = {}
    with tempfile.TemporaryDirectory() as tmp, make_executor(args.workers, args.dask) as ex:
        for recipe, sizes in MATRIX:
            for mode in MODES:
                for difficulty in DIFFICULTIES:
                    for seed in args.seeds:
                        key = f"{recipe}/{mode}/{difficulty}/{seed}"
                        out = Path(tmp) / key.replace("/", "_")
                        gen = Generator.from_recipe(
                            recipe, seed=seed, exposure_mode=mode, difficulty=difficulty, **sizes
                        )
                        gen.generate(timestamp=TIMESTAMP, executor=ex).save(out)
                        result[key] = bundle_hashes(out)
                        print(key, file=sys.stderr)
    args.out.write_text(json.dumps(result, indent=1, sort_keys=True) + "\n")
    if args.compare:
        before = json.loads(args.compare.read_text())
        diffs = [
            f"{key}: {name}"
            for key in sorted(set(before) | set(result))
            for name in sorted(set(before.get(key, {})) | set(result.get(key, {})))
            if before.get(key, {}).get(name) != result.get(key, {}).get(name)
        ]
        print("\n".join(diffs) if diffs else "identical")
        raise SystemExit(1 if diffs else 0)


if __name__ == "__main__":
    main()

"""Faults while generating: too little space, a full disk, SIGTERM; and the --json report."""

from __future__ import annotations

import errno
import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from collections import namedtuple
from pathlib import Path

import polars as pl
import pytest

from leadforge_core import memory
from leadforge_core.bundle import space, world
from leadforge_core.cli.app import run
from leadforge_core.pipeline import plan
from leadforge_core.progress import PhaseClock

LEADS = ["generate", "-r", "b2b_saas_procurement_v1", "--n-leads", "3000", "-q"]
Usage = namedtuple("Usage", "total used free")


def _one_error_line(err: str) -> str:
    lines = [line for line in err.strip().splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


def _leftovers(parent: Path) -> list[str]:
    return sorted(p.name for p in parent.iterdir()) if parent.exists() else []


@pytest.mark.parametrize(
    ("recipe", "sizes"),
    [
        ("b2b_saas_procurement_v1", {"n_leads": 20_000}),
        ("b2b_saas_ltv_v1", {"n_customers": 4_000}),
    ],
)
def test_estimate_covers_a_real_bundle(recipe: str, sizes: dict[str, int], tmp_path: Path) -> None:
    p = plan(recipe, mode="research_instructor", params=sizes, seed=5)
    estimate = space.estimate_bytes(p.scheme.bytes_per_unit, p.config.params)
    out = tmp_path / "b"
    args = [
        "generate",
        "-r",
        recipe,
        "--mode",
        "research_instructor",
        "--seed",
        "5",
        "-o",
        str(out),
    ]
    flags = [f"--{k.replace('_', '-')}={v}" for k, v in sizes.items()]
    assert run([*args, *flags, "-q"]) == 0
    actual = sum(f.stat().st_size for f in out.rglob("*") if f.is_file())
    assert actual <= estimate <= 3 * actual


def test_estimate_grows_with_the_calibrated_sizes() -> None:
    small = plan("b2b_saas_procurement_v1", params={"n_leads": 1000})
    big = plan("b2b_saas_procurement_v1", params={"n_leads": 1_000_000})
    est = space.estimate_bytes
    a = est(small.scheme.bytes_per_unit, small.config.params)
    b = est(big.scheme.bytes_per_unit, big.config.params)
    assert b > 100 * (a - space.FIXED_BYTES)
    assert space.param_value(big.config.params, "population.n_leads") == 1_000_000
    assert space.param_value(big.config.params, "population.nothing") is None
    assert est({}, big.config.params) == space.FIXED_BYTES


def test_too_little_space_is_refused_before_simulating(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    seen: list[Path] = []

    def tiny(path: str | Path) -> Usage:
        seen.append(Path(path))
        return Usage(10**9, 10**9 - 1000, 1000)

    def never(*a: object, **k: object) -> None:
        raise AssertionError("simulation started despite the space check")

    monkeypatch.setattr(space.shutil, "disk_usage", tiny)
    monkeypatch.setattr("leadforge_core.cli.generate.execute", never)
    out = tmp_path / "deep" / "b"
    assert run([*LEADS, "-o", str(out)]) == 2
    line = _one_error_line(capsys.readouterr().err)
    assert "not enough space" in line and "has 1,000 B free" in line
    assert seen == [tmp_path]  # the nearest existing folder of --out
    assert _leftovers(tmp_path) == []


def _fail_on_call(n: int, exc: BaseException) -> object:
    calls = {"n": 0}
    real = world._store

    def store(path: Path, data: bytes) -> None:
        calls["n"] += 1
        if calls["n"] >= n:
            raise exc
        real(path, data)

    return store


@pytest.mark.parametrize(
    "exc",
    [
        OSError(errno.ENOSPC, os.strerror(errno.ENOSPC)),
        pl.exceptions.ComputeError("failed to write: No space left on device (os error 28)"),
    ],
    ids=["oserror", "polars"],
)
def test_disk_full_while_writing_is_one_line_and_leaves_nothing(
    exc: BaseException,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(world, "_store", _fail_on_call(3, exc))
    out = tmp_path / "b"
    assert run([*LEADS, "-o", str(out)]) == 2
    line = _one_error_line(capsys.readouterr().err)
    assert line == "error: cannot write bundle: No space left on device"
    assert _leftovers(tmp_path) == []


def test_other_write_errors_are_not_called_disk_full(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(world, "_store", _fail_on_call(1, OSError(errno.EIO, "I/O error")))
    assert run([*LEADS, "-o", str(tmp_path / "b")]) == 2
    assert _one_error_line(capsys.readouterr().err) == "error: cannot write bundle: I/O error"
    assert _leftovers(tmp_path) == []


def _tmpfs_available() -> bool:
    if not sys.platform.startswith("linux") or shutil.which("unshare") is None:
        return False
    probe = subprocess.run(
        ["unshare", "-rm", "sh", "-c", "mount -t tmpfs -o size=64k tmpfs /mnt 2>/dev/null"],
        capture_output=True,
        check=False,
    )
    return probe.returncode == 0


@pytest.mark.skipif(not _tmpfs_available(), reason="cannot mount a tmpfs here")
@pytest.mark.parametrize("skip_estimate", [False, True], ids=["refused", "enospc"])
def test_real_small_tmpfs(skip_estimate: bool, tmp_path: Path) -> None:
    """A 1.2 MB tmpfs in a private mount namespace: refused by the estimate, or (estimate
    off) a real ENOSPC from the kernel; either way one line and an empty file system."""
    mount = tmp_path / "mnt"
    mount.mkdir()
    script = textwrap.dedent(
        f"""
        import os, sys
        import leadforge_core.cli.generate as g
        if {skip_estimate!r}:
            g.check_space = lambda out, estimate: None
        from leadforge_core.cli.app import run
        rc = run(["generate", "-r", "b2b_saas_procurement_v1", "--n-leads", "20000", "-q",
                  "-o", {str(mount / "b")!r}])
        print(rc, sorted(os.listdir({str(mount)!r})))
        """
    )
    proc = subprocess.run(
        [
            "unshare",
            "-rm",
            "sh",
            "-c",
            f'mount -t tmpfs -o size=1200k tmpfs "{mount}" && exec "{sys.executable}" -c "$0"',
            script,
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.stdout.strip() == "2 []", proc.stdout + proc.stderr
    line = _one_error_line(proc.stderr)
    if skip_estimate:
        assert line == "error: cannot write bundle: No space left on device"
    else:
        assert "not enough space" in line


def test_sigterm_while_writing_leaves_nothing(tmp_path: Path) -> None:
    """A real process stopped by SIGTERM while its staging folder holds part files."""
    parent = tmp_path / "out"
    out = parent / "bundle"
    code = textwrap.dedent(
        """
        import sys, time
        import leadforge_core.bundle.world as w
        real = w._store
        calls = []
        def slow(path, data):
            real(path, data)
            calls.append(path)
            if len(calls) == 1:
                print("stored", flush=True)
                time.sleep(3)
        w._store = slow
        from leadforge_core.cli.app import main
        sys.argv = ["leadforge", *sys.argv[1:]]
        main()
        """
    )
    env = {**os.environ, "LEADFORGE_PART_ROWS": "500"}
    proc = subprocess.Popen(
        [sys.executable, "-c", code, *LEADS, "-o", str(out)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "stored"
    staged = [p for p in parent.iterdir() if p.name.startswith(".bundle.partial-")]
    assert len(staged) == 1 and any(staged[0].rglob("*.parquet"))
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert _one_error_line(err) == "error: interrupted; nothing was written"
    assert _leftovers(parent) == []


def test_generate_json_reports_phases_memory_and_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LEADFORGE_PART_ROWS", "2000")
    out = tmp_path / "b"
    assert run([*LEADS, "-o", str(out), "--json", "--timestamp", "0"]) == 0
    result = json.loads(capsys.readouterr().out)
    for key in ("bundle", "scheme", "recipe", "seed", "tables", "tasks", "validation", "seconds"):
        assert key in result
    phases = result["phases"]
    assert {"world", "simulation", "rendering", "writing", "validation"} <= set(phases)
    assert all(v >= 0 for v in phases.values())
    assert phases["rendering"] + phases["writing"] + phases["validation"] <= result["seconds"]
    peak = result["peak_memory"]
    assert peak["tree_bytes"] >= peak["self_bytes"] > 50 * 2**20
    files = [f for f in out.rglob("*") if f.is_file()]
    written = result["written"]
    assert written["bytes"] == sum(f.stat().st_size for f in files)
    assert written["files"] == len(files)
    rows = sum(result["tables"].values()) + sum(sum(s.values()) for s in result["tasks"].values())
    assert written["rows"] == rows
    assert any("/part-" in f.as_posix() for f in files)
    assert result["estimated_bytes"] >= written["bytes"]


def test_phase_clock_accumulates_and_forwards() -> None:
    seen: list[str] = []

    class Inner:
        def phase(self, name: str, total: int | None = None, unit: str = "") -> object:
            seen.append(f"start {name}")
            return memory  # any object; not advanced here

        def end_phase(self, name: str) -> None:
            seen.append(f"end {name}")

    clock = PhaseClock(Inner())  # type: ignore[arg-type]
    clock.phase("a")
    time.sleep(0.02)
    clock.end_phase("a")
    clock.phase("a")
    time.sleep(0.02)
    clock.end_phase("a")
    clock.phase("b")
    assert seen == ["start a", "end a", "start a", "end a", "start b"]
    assert list(clock.seconds) == ["a", "b"]
    assert clock.seconds["a"] >= 0.04 and clock.seconds["b"] == 0.0


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_peak_memory_sums_the_process_tree() -> None:
    hold = 300 * 2**20
    code = f"import sys, time; b = bytearray({hold}); print('ready', flush=True); time.sleep(1.0)"
    before = memory.tree_rss_bytes()
    with memory.PeakMemory(interval=0.02) as peak:
        child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "ready"
        time.sleep(0.3)
        child.wait(timeout=30)
    report = peak.report()
    assert peak.tree_peak >= before + 0.9 * hold
    assert report["tree_bytes"] >= max(peak.tree_peak, report["self_bytes"])
    assert report["children_bytes"] >= hold

"""Both schemes write the same bytes on one process, two worker processes and a Dask cluster.

At the schemes' block size (65,536 entities) a small world is a single block, so the tests
also cut the simulations into blocks of a few hundred entities: several blocks then run on
different workers and come back in block order. (A different block size is a different,
equally valid world; what matters is that it does not depend on who ran the blocks.)
"""

from __future__ import annotations

import functools
import hashlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from leadforge_core import Generator
from leadforge_core.executors import DaskExecutor, Executor, ProcessExecutor, SerialExecutor
from leadforge_core.progress import NullProgress

TIMESTAMP = "2026-01-01T00:00:00Z"
SCHEMES = {
    "lead_scoring": ("b2b_saas_procurement_v1", {"n_leads": 2500}),
    "lifecycle": ("b2b_saas_ltv_v1", {"n_customers": 1500}),
}
MODES = ("student_public", "research_instructor")


class Counting(Executor):
    """Wraps an executor and counts the units it ran."""

    def __init__(self, inner: Executor) -> None:
        self.inner, self.units = inner, 0
        self.workers = inner.workers

    @property
    def in_process(self) -> bool:
        return self.inner.in_process

    def map(self, fn: Any, items: Any, **kw: Any) -> list[Any]:
        out = self.inner.map(fn, items, **kw)
        self.units += len(out)
        return out


@pytest.fixture(scope="module")
def pool() -> Iterator[ProcessExecutor]:
    with ProcessExecutor(2) as ex:
        yield ex


@pytest.fixture(scope="module")
def dask_address(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        processes=True,
        n_workers=2,
        threads_per_worker=1,
        dashboard_address=None,
        local_directory=str(tmp_path_factory.mktemp("dask")),
    ) as cluster:
        yield cluster.scheduler_address


@pytest.fixture
def small_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Simulate in blocks of a few hundred entities (several blocks per small world)."""
    from leadforge_lead_scoring.simulate import engine as ls_engine
    from leadforge_lifecycle import scheme as lc_scheme

    monkeypatch.setattr(ls_engine, "run", functools.partial(ls_engine.run, block_size=700))
    monkeypatch.setattr(
        lc_scheme, "simulate", functools.partial(lc_scheme.simulate, block_size=400)
    )


def bundle_hashes(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


class Blocks:
    """A Progress that counts the simulation phase's total and advances."""

    def __init__(self) -> None:
        self.total: int | None = None
        self.done = 0

    def phase(self, name: str, total: int | None = None, unit: str = "") -> Any:
        if name == "simulation":
            assert unit == "blocks"
            self.total = total
            return self
        return NullProgress().phase(name, total, unit)

    def advance(self, n: int = 1) -> None:
        self.done += n

    def end_phase(self, name: str) -> None:
        return None


def generate(
    scheme: str, mode: str, out: Path, executor: Executor, progress: Any = None
) -> dict[str, str]:
    recipe, sizes = SCHEMES[scheme]
    gen = Generator.from_recipe(recipe, seed=5, exposure_mode=mode, **sizes)
    gen.generate(timestamp=TIMESTAMP, executor=executor, progress=progress).save(out)
    return bundle_hashes(out)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("scheme", sorted(SCHEMES))
def test_same_bytes_on_one_two_and_dask_workers(
    scheme: str,
    mode: str,
    tmp_path: Path,
    pool: ProcessExecutor,
    dask_address: str,
    small_blocks: None,
) -> None:
    serial = Counting(SerialExecutor())
    one = generate(scheme, mode, tmp_path / "one", serial)
    two = Counting(pool)
    assert generate(scheme, mode, tmp_path / "two", two) == one
    blocks = Blocks()
    with DaskExecutor(dask_address) as dask:
        assert dask.workers == 2
        counted = Counting(dask)
        assert generate(scheme, mode, tmp_path / "dask", counted, blocks) == one
    assert len(one) > 10
    # Several blocks ran, on the workers (the serial executor runs in-process, unshipped).
    assert serial.units == 0 and two.units == counted.units >= 3
    # Each block finished on a Dask worker advanced the simulation phase once.
    assert blocks.total == blocks.done == counted.units


@pytest.mark.parametrize("scheme", sorted(SCHEMES))
def test_default_block_size_same_bytes_with_workers(
    scheme: str, tmp_path: Path, pool: ProcessExecutor
) -> None:
    one = generate(scheme, "research_instructor", tmp_path / "one", SerialExecutor())
    assert generate(scheme, "research_instructor", tmp_path / "two", pool) == one


def test_cli_workers_flag(tmp_path: Path) -> None:
    from leadforge_core.cli.app import run

    recipe, _ = SCHEMES["lifecycle"]
    base = ["generate", "-r", recipe, "--n-customers", "300", "--timestamp", "0", "-q"]
    assert run([*base, "--out", str(tmp_path / "a")]) == 0
    assert run([*base, "--out", str(tmp_path / "b"), "--workers", "2"]) == 0
    assert bundle_hashes(tmp_path / "a") == bundle_hashes(tmp_path / "b")


def test_cli_dask_unreachable(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from leadforge_core import executors
    from leadforge_core.cli.app import run

    monkeypatch.setattr(executors, "DASK_CONNECT_TIMEOUT", 1.0)
    recipe, _ = SCHEMES["lead_scoring"]
    out = tmp_path / "out"
    code = run(["generate", "-r", recipe, "--out", str(out), "--dask", "tcp://127.0.0.1:9"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1
    assert err[0].startswith("error: --dask: cannot reach the Dask scheduler at tcp://127.0.0.1:9")
    assert not out.exists()


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        found.extend(int(c) for c in text)
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs Linux /proc")
@pytest.mark.parametrize(("how", "delay"), [("ctrl-c", 1), ("sigterm", 3)])
def test_interrupt_stops_every_worker_and_writes_nothing(
    tmp_path: Path, how: str, delay: int
) -> None:
    out = tmp_path / "out"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "leadforge_core",
            "generate",
            "-r",
            "b2b_saas_ltv_v1",
            "--n-customers",
            "140000",
            "--workers",
            "2",
            "-q",
            "--out",
            str(out),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    workers: list[int] = []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        workers = [
            c
            for c in _children(proc.pid)
            if b"spawn_main" in Path(f"/proc/{c}/cmdline").read_bytes()
            and b"resource_tracker" not in Path(f"/proc/{c}/cmdline").read_bytes()
        ]
        if len(workers) == 2:
            break
        time.sleep(0.1)
    assert len(workers) == 2, "the workers never started"
    time.sleep(float(delay))  # while the workers start up, or once they run blocks
    if how == "ctrl-c":
        os.killpg(proc.pid, signal.SIGINT)  # what a terminal does: the whole group
    else:
        os.kill(proc.pid, signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert err.strip() == "error: interrupted; nothing was written", err
    assert not out.exists() and list(tmp_path.iterdir()) == []
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(_alive(w) for w in workers):
        time.sleep(0.1)
    assert not any(_alive(w) for w in workers)


TESTS = Path(__file__).parent
# `leadforge generate` whose simulation runs in blocks of 700 leads, and whose worker running
# block `parallel_units.DIE_IN_BLOCK` (the last of 2,500 leads) is killed half-way through it.
DYING_BLOCK_CLI = f"""
import functools, sys
sys.path.insert(0, {str(TESTS)!r})
import parallel_units
from leadforge_core.simulate import runner
runner._run_block = parallel_units.run_block_or_die
from leadforge_lead_scoring.simulate import engine
engine.run = functools.partial(engine.run, block_size=700)
from leadforge_core.cli.app import main
sys.argv = ["leadforge", *sys.argv[1:]]
main()
"""


def test_dask_worker_killed_mid_block_fails_the_run(tmp_path: Path) -> None:
    """Dask retries a block whose worker died (the scheduler's allowed-failures, 1 here);
    the block kills every worker that runs it, so Dask gives up and the run fails: one line
    naming the block and the workers lost, exit 2, nothing at --out."""
    distributed = pytest.importorskip("distributed")
    import parallel_units

    out = tmp_path / "out" / "bundle"
    with distributed.LocalCluster(
        processes=True,
        n_workers=2,
        threads_per_worker=1,
        dashboard_address=None,
        local_directory=str(tmp_path / "dask"),
        # (the scheduler's own HTTP routes on a free port: no clash with another cluster)
        scheduler_kwargs={"allowed_failures": 1, "dashboard_address": ":0"},
    ) as cluster:
        proc = subprocess.run(
            [
                sys.executable,
                "-c",
                DYING_BLOCK_CLI,
                "generate",
                "-r",
                SCHEMES["lead_scoring"][0],
                "--n-leads",
                "2500",
                "-q",
                "--out",
                str(out),
                "--dask",
                cluster.scheduler_address,
            ],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        # The cluster lived on: its restarted workers still take work.
        with DaskExecutor(cluster.scheduler_address) as ex:
            assert ex.map(abs, [-1, -2]) == [1, 2]
    assert proc.returncode == 2, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    block = parallel_units.DIE_IN_BLOCK
    assert lines == [
        "error: a worker process died (killed, or out of memory) while running simulation "
        f"block {block} (on each of the 2 Dask workers that tried it); the run stopped"
    ], proc.stderr
    assert not out.parent.exists() or list(out.parent.iterdir()) == []


# `leadforge generate` run as a script, simulating in blocks of 700 leads (so that both
# workers are started): each spawned worker imports the script as `__mp_main__` and there
# first marks itself started, then takes 60 s to "start up", before taking any block.
SLOW_START_CLI = """
import functools, os, sys, time
if __name__ == "__mp_main__":
    open(os.path.join(os.environ["SLOW_START_MARKS"], str(os.getpid())), "w").close()
    time.sleep(60)
if __name__ == "__main__":
    from leadforge_lead_scoring.simulate import engine
    engine.run = functools.partial(engine.run, block_size=700)
    from leadforge_core.cli.app import main
    sys.argv = ["leadforge", *sys.argv[1:]]
    main()
"""


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs Linux /proc")
@pytest.mark.parametrize("how", ["ctrl-c", "sigterm"])
def test_interrupt_while_workers_start_up(tmp_path: Path, how: str) -> None:
    """Ctrl-C (to the whole process group, as a terminal sends it) or SIGTERM while both pool
    workers are still starting: exit 130, the one line, no traceback from the workers, every
    worker gone, nothing at --out."""
    script = tmp_path / "slow_start.py"
    script.write_text(SLOW_START_CLI)
    marks = tmp_path / "marks"
    marks.mkdir()
    out = tmp_path / "out" / "bundle"
    proc = subprocess.Popen(
        [
            sys.executable,
            str(script),
            "generate",
            "-r",
            SCHEMES["lead_scoring"][0],
            "--n-leads",
            "2000",
            "--workers",
            "2",
            "-q",
            "--out",
            str(out),
        ],
        env={**os.environ, "SLOW_START_MARKS": str(marks)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None and len(list(marks.iterdir())) < 2:
        time.sleep(0.05)
    workers = [int(p.name) for p in marks.iterdir()]
    assert len(workers) == 2, "the workers never started"
    assert all(pid in _children(proc.pid) for pid in workers)
    if how == "ctrl-c":
        os.killpg(proc.pid, signal.SIGINT)
    else:
        os.kill(proc.pid, signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert err.strip() == "error: interrupted; nothing was written", err
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(_alive(w) for w in workers):
        time.sleep(0.1)
    assert not any(_alive(w) for w in workers)
    assert not out.parent.exists() or list(out.parent.iterdir()) == []

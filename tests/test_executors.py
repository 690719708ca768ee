"""Executors: the same results in unit order on one process, a process pool and Dask."""

from __future__ import annotations

import builtins
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import parallel_units as units
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leadforge_core.errors import ConfigError, LeadforgeError
from leadforge_core.executors import (
    DaskExecutor,
    ExecutorUnavailable,
    ProcessExecutor,
    SerialExecutor,
    WorkerLost,
    make_executor,
)
from leadforge_core.rng import RandomStreams
from leadforge_core.simulate import run_steps


@pytest.fixture(scope="module")
def pool() -> Iterator[ProcessExecutor]:
    with ProcessExecutor(2) as ex:
        yield ex


@settings(max_examples=12, deadline=None)
@given(
    seed=st.integers(0, 2**32),
    n=st.integers(0, 3000),
    block_size=st.integers(50, 1200),
    steps=st.integers(1, 4),
)
def test_parallel_equals_serial(
    pool: ProcessExecutor, seed: int, n: int, block_size: int, steps: int
) -> None:
    streams = RandomStreams(seed)
    serial = run_steps(units.Walk(), n, steps, streams, block_size=block_size)
    parallel = run_steps(units.Walk(), n, steps, streams, block_size=block_size, executor=pool)
    assert len(parallel) == len(serial) == -(-n // block_size)
    for a, b in zip(serial, parallel, strict=True):
        np.testing.assert_array_equal(a, b)
    sizes = [(seed, b, min(block_size, n - lo)) for b, lo in enumerate(range(0, n, block_size))]
    done: list[int] = []
    got = pool.map(units.draw_block, sizes, on_done=done.append)
    want = SerialExecutor().map(units.draw_block, sizes)
    assert sorted(done) == list(range(len(sizes)))
    for a, b in zip(want, got, strict=True):
        np.testing.assert_array_equal(a, b)


def test_pool_uses_worker_processes(pool: ProcessExecutor) -> None:
    pids = set(pool.map(units.where, range(12)))
    assert os.getpid() not in pids and 1 <= len(pids) <= 2


def test_killed_worker_names_its_unit() -> None:
    with ProcessExecutor(2) as ex:
        with pytest.raises(WorkerLost) as info:
            ex.map(units.kill_at, [(i, 3) for i in range(8)], what="simulation block")
        assert len(info.value.lines) == 1
        assert "while running simulation block 3;" in str(info.value)
        # The executor starts a fresh pool for the next map.
        assert ex.map(units.fail_at, [(i, -1) for i in range(4)]) == [0, 1, 2, 3]


def test_unit_error_propagates(pool: ProcessExecutor) -> None:
    with pytest.raises(ValueError, match="unit 2 failed"):
        pool.map(units.fail_at, [(i, 2) for i in range(5)])
    assert pool.map(units.fail_at, [(i, -1) for i in range(3)]) == [0, 1, 2]


def test_make_executor() -> None:
    assert isinstance(make_executor(), SerialExecutor)
    assert isinstance(make_executor(1), SerialExecutor)
    with make_executor(3) as ex:
        assert isinstance(ex, ProcessExecutor) and ex.workers == 3
    for bad in (0, -2):
        with pytest.raises(ConfigError, match="--workers: must be a positive integer"):
            make_executor(bad)


def test_dask_missing_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    real = builtins.__import__

    def no_distributed(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "distributed" or name.startswith("distributed."):
            raise ImportError(name)
        return real(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_distributed)
    with pytest.raises(ExecutorUnavailable) as info:
        make_executor(dask="tcp://127.0.0.1:8786")
    assert str(info.value) == "--dask needs the dask extra: pip install 'leadforge-core[dask]'"
    assert info.value.exit_code == 2


def test_dask_unreachable_scheduler() -> None:
    with pytest.raises(ExecutorUnavailable) as info:
        DaskExecutor("tcp://127.0.0.1:9", timeout=1)
    assert str(info.value).startswith(
        "--dask: cannot reach the Dask scheduler at tcp://127.0.0.1:9"
    )
    assert isinstance(info.value, LeadforgeError) and len(info.value.lines) == 1


def test_script_without_main_guard_is_one_line(tmp_path: Path) -> None:
    script = tmp_path / "unguarded.py"
    script.write_text(
        "from leadforge_core.executors import ProcessExecutor\n"
        "from leadforge_core.errors import LeadforgeError\n"
        "try:\n"
        "    with ProcessExecutor(2) as ex:\n"
        "        ex.map(abs, [-1, -2, -3])\n"
        "except LeadforgeError as exc:\n"
        "    print(exc)\n"
    )
    res = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=300, cwd=tmp_path
    )
    assert "a worker process exited before running any block" in res.stdout
    assert '`if __name__ == "__main__":`' in res.stdout


class Recorder:
    """A Progress that records every phase start, advance and end, with the time."""

    def __init__(self) -> None:
        self.events: list[tuple[str, str, Any, float]] = []

    def phase(self, name: str, total: int | None = None, unit: str = "") -> Any:
        self.events.append(("start", name, (total, unit), time.perf_counter()))
        recorder = self

        class Handle:
            def advance(self, n: int = 1) -> None:
                recorder.events.append(("advance", name, n, time.perf_counter()))

        return Handle()

    def end_phase(self, name: str) -> None:
        self.events.append(("end", name, None, time.perf_counter()))


@pytest.mark.parametrize("where", ["serial", "threads", "pool"])
def test_block_progress_as_blocks_finish(where: str, pool: ProcessExecutor) -> None:
    """The simulation phase counts blocks, one advance per finished block, and on worker
    processes each advance arrives when that block's result does, not at the end."""
    rec = Recorder()
    blocks, steps = 6, 2
    kw: dict[str, Any] = {"executor": pool} if where == "pool" else {}
    start = time.perf_counter()
    out = run_steps(
        units.Napping(0.15),
        blocks * 10,
        steps,
        RandomStreams(3),
        block_size=10,
        workers=2 if where == "threads" else 1,
        progress=rec,
        **kw,
    )
    end = time.perf_counter()
    assert out == list(range(blocks))
    kinds = [(kind, name) for kind, name, _, _ in rec.events]
    assert kinds == [("start", "simulation")] + [("advance", "simulation")] * blocks + [
        ("end", "simulation")
    ]
    assert rec.events[0][2] == (blocks, "blocks")
    assert [n for kind, _, n, _ in rec.events if kind == "advance"] == [1] * blocks
    # Each block takes 0.3 s and at most two run at once: the first one is counted at least
    # two blocks' time before the last one finishes.
    first = next(t for kind, _, _, t in rec.events if kind == "advance")
    assert end - first >= 0.5, (first - start, end - start)


def test_dask_reports_each_block_once() -> None:
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(
            processes=False, n_workers=2, threads_per_worker=1, dashboard_address=None
        ) as cluster,
        DaskExecutor(cluster.scheduler_address) as ex,
    ):
        done: list[int] = []
        assert ex.map(units.nap, [(i, 0.05) for i in range(7)], on_done=done.append) == list(
            range(7)
        )
        assert sorted(done) == list(range(7))


WAIT_FOR_CTRL_C = """
import threading, polars
from leadforge_core.executors import interruptible_waits
if {fix}:
    interruptible_waits()
print("ready", flush=True)
try:
    threading.Event().wait()  # no timeout: a timed wait is interrupted either way
except KeyboardInterrupt:
    print("interrupted")
"""


@pytest.mark.skipif(not hasattr(os, "killpg"), reason="POSIX signals")
def test_ctrl_c_interrupts_a_blocking_wait_after_polars_import() -> None:
    """polars installs a restarting SIGINT handler on import, under which a lock wait (the
    parent waiting for its workers) never sees Ctrl-C; the executors clear that flag."""
    import signal

    for fix in (True, False):
        proc = subprocess.Popen(
            [sys.executable, "-c", WAIT_FOR_CTRL_C.format(fix=fix)],
            stdout=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        time.sleep(0.3)
        proc.send_signal(signal.SIGINT)
        if fix:
            out, _ = proc.communicate(timeout=10)
            assert out.strip() == "interrupted"
        else:  # the premise: without the fix the wait goes on (stopped here, not awaited)
            with pytest.raises(subprocess.TimeoutExpired):
                proc.communicate(timeout=1.5)
            proc.kill()
            proc.communicate()


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux /proc")
def test_ctrl_c_while_workers_start_is_held_not_lost() -> None:
    """While a worker may be started, SIGINT is blocked, not ignored: a process started then
    holds it (its mask says so), and a Ctrl-C to the parent meanwhile still interrupts."""
    import signal

    from leadforge_core import executors

    with executors._sigint_held():
        child = subprocess.run(
            [sys.executable, "-c", "print(open('/proc/self/status').read())"],
            capture_output=True,
            text=True,
            check=True,
        )
    blocked = int(child.stdout.split("SigBlk:")[1].split()[0], 16)
    assert blocked & (1 << (signal.SIGINT - 1))
    with pytest.raises(KeyboardInterrupt):
        with executors._sigint_held():
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.05)
        for _ in range(100):  # delivered at the latest once the mask is restored
            time.sleep(0.01)

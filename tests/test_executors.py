"""Executors: the same results in unit order on one process, a process pool and Dask."""

from __future__ import annotations

import builtins
import os
import subprocess
import sys
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

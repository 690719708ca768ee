"""Where block work runs: in this process, on a local process pool, or on a Dask cluster.

Generation is cut into fixed blocks of entities (:data:`leadforge_core.rng.BLOCK_SIZE`); each
block's draws depend only on ``(seed, stream name, block index)``. An :class:`Executor` runs
one function over a sequence of such work units and returns the results **in unit order**, so
the output never depends on how many workers there are or which finishes first:

- :class:`SerialExecutor` — in the calling process (the default, ``--workers 1``);
- :class:`ProcessExecutor` — a standard-library process pool (``--workers N``), started with
  the ``spawn`` method so no worker inherits the parent's polars/numpy thread pools or locks;
- :class:`DaskExecutor` — a ``dask.distributed`` cluster (``--dask tcp://host:8786``), from the
  optional extra ``leadforge-core[dask]``.

The function and each unit are pickled to the workers: a unit carries what its block needs
(its index, the seed and the block's slice of the few global facts), never the whole world.
A worker that dies (killed, out of memory) fails the run with one line naming the unit (on
Dask, once the scheduler has given up retrying the unit on other workers: its
``allowed-failures`` setting); an interrupt (Ctrl-C, SIGTERM) cancels what is queued and
stops every worker.
"""

from __future__ import annotations

import abc
import concurrent.futures as cf
import contextlib
import multiprocessing
import os
import signal
import uuid
from collections.abc import Callable, Iterable, Iterator
from types import TracebackType
from typing import Any, TypeVar

from leadforge_core.errors import ConfigError, SimulationError

__all__ = [
    "DASK_ADDRESS_ENV",
    "DASK_CONNECT_TIMEOUT",
    "DaskExecutor",
    "Executor",
    "ExecutorUnavailable",
    "ProcessExecutor",
    "SerialExecutor",
    "WorkerLost",
    "default_workers",
    "make_executor",
]

T = TypeVar("T")
R = TypeVar("R")

#: Environment variable holding a Dask scheduler address (``tcp://host:8786``) for the CLI.
DASK_ADDRESS_ENV = "LEADFORGE_DASK_ADDRESS"
#: Seconds to wait for a Dask scheduler before giving up.
DASK_CONNECT_TIMEOUT = 10.0


class WorkerLost(SimulationError):
    """A worker process died (killed, out of memory) while running a unit of work."""


class ExecutorUnavailable(ConfigError):
    """The requested executor cannot be used (a missing extra, an unreachable scheduler)."""


def _lost(what: str, index: int | None, reason: str, detail: str = "") -> WorkerLost:
    if index is None:  # it died before taking any unit: most often a script without a guard
        return WorkerLost(
            f"a worker process exited before running any {what} (a script that uses worker "
            'processes must start them under `if __name__ == "__main__":`); the run stopped'
        )
    return WorkerLost(
        f"a worker process died ({reason}) while running {what} {index}{detail}; the run stopped"
    )


def _dask_attempts(exc: BaseException) -> int | None:
    """How many workers died running the task of a ``KilledWorker`` (its allowed failures
    plus the last one), or ``None`` when the exception does not say."""
    allowed = getattr(exc, "allowed_failures", None)
    return allowed + 1 if isinstance(allowed, int) else None


class Executor(abc.ABC):
    """Runs a function over work units and returns the results in unit order.

    Use as a context manager (``with make_executor(2) as ex: ...``) so workers are released.
    """

    #: Number of workers that run units at the same time.
    workers: int = 1

    @property
    def in_process(self) -> bool:
        """True when units run in the calling process (nothing is pickled)."""
        return False

    @abc.abstractmethod
    def map(
        self,
        fn: Callable[[T], R],
        items: Iterable[T],
        *,
        what: str = "block",
        on_done: Callable[[int], None] | None = None,
    ) -> list[R]:
        """Run ``fn(item)`` for every item and return the results in item order.

        Args:
            fn: a picklable callable (a module-level function or an instance of a module-level
                class) for the process and Dask executors.
            items: the work units; consumed lazily, a few per worker ahead, so a caller can
                build each unit (its slice of the inputs) only when it is about to run.
            what: how a unit is named in errors (``"simulation block"`` → "… block 3").
            on_done: called with a unit's index when it finishes (progress), in any order.

        Returns:
            One result per item, in item order.

        Raises:
            WorkerLost: a worker died while running a unit (named in the message).
        """

    def close(self) -> None:
        """Release the workers (idempotent)."""
        return None

    def __enter__(self) -> Executor:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class SerialExecutor(Executor):
    """Runs every unit in the calling process, one after the other."""

    workers = 1

    @property
    def in_process(self) -> bool:
        return True

    def map(
        self,
        fn: Callable[[T], R],
        items: Iterable[T],
        *,
        what: str = "block",
        on_done: Callable[[int], None] | None = None,
    ) -> list[R]:
        out: list[R] = []
        for i, item in enumerate(items):
            out.append(fn(item))
            if on_done is not None:
                on_done(i)
        return out

    def __repr__(self) -> str:
        return "SerialExecutor()"


# --- process pool ----------------------------------------------------------------------------

# Per-worker state set by the pool initializer: which slot of the shared table the worker owns.
_SLOT: int = -1
_TABLE: Any = None


def _on_sigterm(signum: int, frame: object) -> None:
    # Stopped by the parent (pool shutdown, interrupt): clear the slot so the parent can tell
    # this worker from one that died on its own, then leave at once.
    if _TABLE is not None and _SLOT >= 0:
        _TABLE[2 * _SLOT + 1] = -1
    os._exit(143)


def _worker_init(table: Any, counter: Any) -> None:
    global _SLOT, _TABLE
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C for everyone
    signal.signal(signal.SIGTERM, _on_sigterm)
    with counter.get_lock():
        _SLOT = counter.value % (len(table) // 2)
        counter.value += 1
    _TABLE = table
    table[2 * _SLOT] = os.getpid()
    table[2 * _SLOT + 1] = -1


def _run_unit(fn: Callable[[T], R], index: int, item: T) -> R:
    if _TABLE is not None:
        _TABLE[2 * _SLOT + 1] = index
    try:
        return fn(item)
    finally:
        if _TABLE is not None:
            _TABLE[2 * _SLOT + 1] = -1


@contextlib.contextmanager
def _sigint_held() -> Iterator[None]:
    """Block SIGINT in this thread while worker processes may be started.

    A process inherits the signal mask of the thread that starts it, so a new worker holds
    a Ctrl-C that reaches it while it is still importing, until its initializer ignores the
    signal (the parent stops the workers itself). The parent loses nothing: a Ctrl-C that
    arrives meanwhile is taken by another of its threads, or stays pending here until the
    mask is restored, and then interrupts as usual.
    """
    try:
        previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    except (AttributeError, OSError, ValueError):  # no POSIX signal masks here
        yield
        return
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def interruptible_waits() -> None:
    """Let Ctrl-C interrupt a blocking wait of this process (for workers' results).

    A library may install its own SIGINT handler with ``SA_RESTART`` (polars does on
    import): the kernel then restarts a lock wait after the handler, and Python never gets
    to raise ``KeyboardInterrupt`` while it waits. This keeps whatever handler is installed
    and only clears that flag.
    """
    with contextlib.suppress(AttributeError, OSError, ValueError):
        signal.siginterrupt(signal.SIGINT, True)


class ProcessExecutor(Executor):
    """A local pool of ``workers`` processes (``concurrent.futures``, ``spawn`` start method).

    Workers start on the first :meth:`map` and serve every later one until :meth:`close`.
    ``spawn`` gives each worker a fresh interpreter: nothing of the parent's thread pools
    (polars, BLAS) or held locks is copied, which ``fork`` would do.

    Args:
        workers: number of worker processes (at least 1).
    """

    def __init__(self, workers: int) -> None:
        if workers < 1:
            raise ConfigError(f"--workers: must be a positive integer, got {workers}")
        self.workers = workers
        self._ctx = multiprocessing.get_context("spawn")
        self._pool: cf.ProcessPoolExecutor | None = None
        self._table: Any = None

    def _start(self) -> cf.ProcessPoolExecutor:
        if self._pool is None:
            # (pid, running unit index or -1) per worker, shared with the workers.
            self._table = self._ctx.Array("q", [0, -1] * self.workers, lock=False)
            counter = self._ctx.Value("i", 0)
            self._pool = cf.ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=self._ctx,
                initializer=_worker_init,
                initargs=(self._table, counter),
            )
        return self._pool

    def _worker_pids(self) -> list[int]:
        if self._table is None:
            return []
        return [int(self._table[2 * s]) for s in range(self.workers) if self._table[2 * s] > 0]

    def _running_units(self) -> list[int]:
        if self._table is None:
            return []
        return sorted(
            int(self._table[2 * s + 1])
            for s in range(self.workers)
            if self._table[2 * s] > 0 and self._table[2 * s + 1] >= 0
        )

    def _kill_workers(self) -> None:
        for pid in self._worker_pids():
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)

    def map(
        self,
        fn: Callable[[T], R],
        items: Iterable[T],
        *,
        what: str = "block",
        on_done: Callable[[int], None] | None = None,
    ) -> list[R]:
        interruptible_waits()
        pool = self._start()
        results: dict[int, R] = {}
        pending: dict[cf.Future[R], int] = {}
        source: Iterator[tuple[int, T]] = enumerate(items)
        window = 2 * self.workers
        try:
            exhausted = False
            while True:
                while not exhausted and len(pending) < window:
                    nxt = next(source, None)
                    if nxt is None:
                        exhausted = True
                        break
                    i, item = nxt
                    with _sigint_held():  # a worker started now holds Ctrl-C until it ignores it
                        pending[pool.submit(_run_unit, fn, i, item)] = i
                if not pending:
                    break
                done, _ = cf.wait(pending, return_when=cf.FIRST_COMPLETED)
                for fut in sorted(done, key=lambda f: pending[f]):
                    i = pending.pop(fut)
                    results[i] = fut.result()
                    if on_done is not None:
                        on_done(i)
        except cf.process.BrokenProcessPool:
            pool.shutdown(wait=True, cancel_futures=True)  # the others are stopped by SIGTERM
            running = self._running_units()
            self._pool = None
            raise _lost(what, running[0] if running else None, "killed, or out of memory") from None
        except BaseException:  # Ctrl-C, SIGTERM, an error in a unit: stop everyone now
            # Workers still starting up have not registered their pid yet: take the pool's
            # own process handles too (``concurrent.futures`` has no public kill before 3.14).
            processes = list((getattr(pool, "_processes", None) or {}).values())
            for proc in processes:
                with contextlib.suppress(Exception):
                    proc.kill()
            self._kill_workers()
            # With every worker gone the pool's manager thread ends at once; joining it here
            # keeps it from racing the interpreter's exit.
            pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
            raise
        return [results[i] for i in range(len(results))]

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def __repr__(self) -> str:
        return f"ProcessExecutor(workers={self.workers})"


# --- Dask ------------------------------------------------------------------------------------


def _import_distributed() -> Any:
    try:
        import distributed
    except ImportError:
        raise ExecutorUnavailable(
            "--dask needs the dask extra: pip install 'leadforge-core[dask]'"
        ) from None
    return distributed


class DaskExecutor(Executor):
    """Runs units as tasks on a ``dask.distributed`` cluster.

    Every worker of the cluster must have the same leadforge-core and scheme plugins
    installed; results come back to this process, which combines them in unit order.

    Args:
        address: the scheduler's address (``tcp://host:8786``).
        timeout: seconds to wait for the scheduler (default :data:`DASK_CONNECT_TIMEOUT`).

    Raises:
        ExecutorUnavailable: the ``dask`` extra is missing or the scheduler cannot be reached.
    """

    def __init__(self, address: str, *, timeout: float | None = None) -> None:
        distributed = _import_distributed()
        self.address = address
        self._distributed = distributed
        try:
            self._client = distributed.Client(
                address,
                timeout=DASK_CONNECT_TIMEOUT if timeout is None else timeout,
                set_as_default=False,
            )
        except (OSError, TimeoutError, ValueError) as exc:
            reason = " ".join(str(exc).split()) or type(exc).__name__
            raise ExecutorUnavailable(
                f"--dask: cannot reach the Dask scheduler at {address} ({reason})"
            ) from None
        self.workers = max(1, len(self._client.scheduler_info().get("workers", {})))

    def map(
        self,
        fn: Callable[[T], R],
        items: Iterable[T],
        *,
        what: str = "block",
        on_done: Callable[[int], None] | None = None,
    ) -> list[R]:
        interruptible_waits()
        distributed = self._distributed
        run = uuid.uuid4().hex[:12]
        window = max(2 * self.workers, 2)
        results: dict[int, R] = {}
        pending: dict[str, tuple[int, Any]] = {}
        source = enumerate(items)
        ac = distributed.as_completed(loop=self._client.loop, raise_errors=False)
        exhausted = False

        def refill() -> None:
            nonlocal exhausted
            while not exhausted and len(pending) < window:
                nxt = next(source, None)
                if nxt is None:
                    exhausted = True
                    return
                i, item = nxt
                key = f"leadforge-{run}-{i}"
                fut = self._client.submit(fn, item, key=key, pure=False, retries=0)
                pending[key] = (i, fut)
                ac.add(fut)

        try:
            refill()
            while pending:
                fut = next(ac)
                i, _ = pending.pop(fut.key)
                try:
                    results[i] = fut.result()
                except distributed.KilledWorker as exc:
                    # Dask gave up on the unit after the scheduler's ``allowed-failures``: it
                    # was retried on other workers, and each of them died running it.
                    tries = _dask_attempts(exc)
                    detail = (
                        f" (on each of the {tries} Dask workers that tried it)" if tries else ""
                    )
                    raise _lost(what, i, "killed, or out of memory", detail) from None
                if on_done is not None:
                    on_done(i)
                refill()
        except BaseException:
            self._client.cancel([f for _, f in pending.values()], force=True)
            raise
        return [results[i] for i in range(len(results))]

    def close(self) -> None:
        client = getattr(self, "_client", None)
        if client is not None:
            client.close()
            self._client = None

    def __repr__(self) -> str:
        return f"DaskExecutor({self.address!r})"


def default_workers() -> int:
    """The default number of worker processes: 1 (see ``docs/scale.md`` for why)."""
    return 1


def make_executor(workers: int | None = None, dask: str | None = None) -> Executor:
    """The executor for a run: Dask when ``dask`` is an address, else a pool of ``workers``.

    Args:
        workers: worker processes on this machine (``None``: :func:`default_workers`); 1 runs
            everything in the calling process.
        dask: a Dask scheduler address; takes precedence over ``workers``.

    Returns:
        An executor to use as a context manager.

    Raises:
        ConfigError: ``workers`` is not a positive integer.
        ExecutorUnavailable: Dask was asked for but is missing or unreachable.
    """
    if dask is not None and dask.strip():
        return DaskExecutor(dask.strip())
    n = default_workers() if workers is None else workers
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ConfigError(f"--workers: must be a positive integer, got {n!r}")
    return SerialExecutor() if n == 1 else ProcessExecutor(n)

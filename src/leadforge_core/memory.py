"""Memory hygiene for big runs: free heap pages go back to the OS between phases, and
numpy's huge-page advice is off while a bundle is generated, written and validated.

numpy's large temporaries come from the C allocator. glibc keeps freed blocks in its heap
(its mmap threshold grows after the first large frees), so a long run's resident size keeps
the high-water mark of every phase even when the memory is free. Trimming at phase ends,
where a phase's intermediates have just died, keeps peak RSS close to what is actually
alive. It never changes results; where the C library has no ``malloc_trim`` it does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import os
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np


@functools.cache
def _trim() -> Callable[[int], int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        fn = libc.malloc_trim
    except (OSError, AttributeError):  # musl and other C libraries
        return None
    fn.argtypes = [ctypes.c_size_t]
    fn.restype = ctypes.c_int
    return fn


def release_memory() -> None:
    """Return free heap pages to the OS (a few ms; big arrays die by reference count, so no
    garbage collection pass is needed)."""
    trim = _trim()
    if trim is not None:
        trim(0)


def _numpy_multiarray(name: str) -> Any:
    """A private numpy function (``numpy._core`` since 2.0, ``numpy.core`` before)."""
    for package in ("_core", "core"):
        found = getattr(getattr(getattr(np, package, None), "multiarray", None), name, None)
        if found is not None:
            return found
    return None


@contextmanager
def without_huge_page_advice() -> Iterator[None]:
    """Keep numpy from asking the kernel for transparent huge pages on large arrays.

    With THP in ``madvise`` mode the kernel compacts memory on each advised fault; a run that
    allocates and frees gigabytes of short-lived arrays pays for that in system time (about
    3 s of 20 at a million leads on a 2-core VM) and gains little, as the arrays live briefly.
    Results are unaffected; the previous setting is restored on exit.
    """
    setter = _numpy_multiarray("_set_madvise_hugepage")
    if setter is None:
        yield
        return
    previous = setter(False)
    try:
        yield
    finally:
        setter(previous)


#: Seconds between two samples of the process tree's resident memory.
SAMPLE_INTERVAL = 0.05


def _proc_kib(pid: int | str, field: str) -> int | None:
    """A ``kB`` field (``VmRSS``, ``VmHWM``) of ``/proc/<pid>/status``; ``None`` if gone."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as fh:
            for line in fh:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return None


def _children(pid: int | str) -> list[str]:
    """Direct children of ``pid`` (every thread's ``children`` list)."""
    out: list[str] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return out
    for tid in tasks:
        try:
            with open(f"/proc/{pid}/task/{tid}/children", encoding="ascii") as fh:
                out.extend(fh.read().split())
        except OSError:
            continue
    return out


def tree_rss_bytes(pid: int | None = None) -> int:
    """Resident memory now of process ``pid`` (default: this one) plus all its descendants,
    summed (Linux ``/proc``; elsewhere this process's peak, the best available)."""
    if not sys.platform.startswith("linux"):
        return self_peak_bytes()
    total = 0
    stack: list[int | str] = [pid if pid is not None else os.getpid()]
    seen: set[str] = set()
    while stack:
        current = stack.pop()
        if str(current) in seen:
            continue
        seen.add(str(current))
        kib = _proc_kib(current, "VmRSS")
        if kib is not None:
            total += kib * 1024
        stack.extend(_children(current))
    return total


def self_peak_bytes() -> int:
    """This process's peak resident memory (``VmHWM`` on Linux, else ``ru_maxrss``)."""
    kib = _proc_kib("self", "VmHWM") if sys.platform.startswith("linux") else None
    if kib is not None:
        return kib * 1024
    try:
        import resource
    except ImportError:  # not a Unix
        return 0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak if sys.platform == "darwin" else peak * 1024)


def children_peak_bytes() -> int:
    """Largest peak resident memory of any finished child process this process waited for
    (``ru_maxrss`` of ``RUSAGE_CHILDREN``); 0 without children or off Unix."""
    try:
        import resource
    except ImportError:
        return 0
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return int(peak if sys.platform == "darwin" else peak * 1024)


class PeakMemory:
    """Measures the peak resident memory of this process and its children during a block.

    A daemon thread sums the resident memory of the whole process tree (this process and
    every descendant, from ``/proc``) every :data:`SAMPLE_INTERVAL` seconds and keeps the
    maximum; since sampling can miss a short spike, :meth:`report` also gives the kernel's
    exact high-water marks (``VmHWM`` of this process, ``ru_maxrss`` of waited-for
    children), and ``tree_bytes`` is never below this process's own peak.

    ``with PeakMemory() as peak: ...`` then ``peak.report()``.
    """

    def __init__(self, interval: float = SAMPLE_INTERVAL, *, sample: bool = True) -> None:
        """``sample=False`` skips the sampling thread (nobody will read the tree's peak):
        :meth:`report` then gives the exact high-water marks only."""
        self.interval = interval
        self.sample = sample
        self.tree_peak = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _sample(self) -> None:
        self.tree_peak = max(self.tree_peak, tree_rss_bytes())

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self._sample()

    def __enter__(self) -> PeakMemory:
        if not self.sample:
            return self
        self._sample()
        self._thread = threading.Thread(target=self._loop, name="leadforge-rss", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._sample()

    def report(self) -> dict[str, Any]:
        """``tree_bytes`` (sampled peak of the tree's summed RSS, at least ``self_bytes``),
        ``self_bytes`` (this process's ``VmHWM``), ``children_bytes`` (largest waited-for
        child's ``ru_maxrss``) and ``sample_seconds`` (the sampling interval)."""
        own = self_peak_bytes()
        return {
            "tree_bytes": max(self.tree_peak, own),
            "self_bytes": own,
            "children_bytes": children_peak_bytes(),
            "sample_seconds": self.interval,
        }

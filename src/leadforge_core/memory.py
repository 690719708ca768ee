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
import sys
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

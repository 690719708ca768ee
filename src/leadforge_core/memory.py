"""Hand freed heap memory back to the operating system between pipeline phases.

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
import gc
import sys
from collections.abc import Callable


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
    """Collect reference cycles and return free heap pages to the OS (cheap: ~10 ms)."""
    gc.collect()
    trim = _trim()
    if trim is not None:
        trim(0)

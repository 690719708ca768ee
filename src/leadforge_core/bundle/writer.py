"""Atomic bundle output.

A bundle is written into a hidden temporary sibling of ``--out`` and renamed into place, so
an interrupted run leaves nothing at ``--out`` and ``--force`` never leaves stale files. The
destination is checked (and a probe folder created) before any simulation work starts.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import shutil
import signal
from collections.abc import Iterator
from pathlib import Path
from types import FrameType

from leadforge_core.errors import BundleIOError


def _nearest_existing(path: Path) -> Path:
    current = path
    while not current.exists():
        if current.parent == current:
            break
        current = current.parent
    return current


def check_destination(out: Path, force: bool) -> None:
    """Refuse a destination that is a file, non-empty without ``force``, or unwritable."""
    out = Path(out)
    if out.exists() or out.is_symlink():
        if not out.is_dir():
            raise BundleIOError(f"--out {out} exists and is not a directory")
        try:
            non_empty = any(out.iterdir())
        except OSError as exc:
            raise BundleIOError(f"--out {out} cannot be read ({exc.strerror})") from None
        if non_empty and not force:
            raise BundleIOError(f"--out {out} is not empty; pass --force to replace it")
    anchor = _nearest_existing(out.parent)
    if not anchor.is_dir():
        raise BundleIOError(f"--out {out}: {anchor} is not a directory")
    try:  # a real probe: os.access is wrong for root and for read-only mounts
        probe = anchor / f".leadforge-probe-{os.getpid()}-{secrets.token_hex(4)}"
        probe.mkdir()
        probe.rmdir()
    except OSError as exc:
        raise BundleIOError(f"--out {out} is not writable ({exc.strerror or exc})") from None


def _raise_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


@contextlib.contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """Turn SIGTERM into KeyboardInterrupt for the duration, so cleanup code runs."""
    try:
        previous = signal.signal(signal.SIGTERM, _raise_interrupt)
    except ValueError:  # not in the main thread
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextlib.contextmanager
def staging(out: Path, force: bool) -> Iterator[Path]:
    """Yield a fresh temporary folder; on success rename it to ``out`` (replacing it)."""
    out = Path(out)
    check_destination(out, force)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.parent / f".{out.name}.partial-{os.getpid()}-{secrets.token_hex(4)}"
    tmp.mkdir()
    try:
        yield tmp
        check_destination(out, force)
        old = None
        if out.exists():
            old = out.parent / f".{out.name}.old-{os.getpid()}-{secrets.token_hex(4)}"
            out.rename(old)
        tmp.rename(out)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()

"""Returning free heap pages to the OS at phase ends."""

from __future__ import annotations

import platform
import sys

import pytest

from leadforge_core import memory
from leadforge_core.progress import NullProgress, phase


@pytest.mark.skipif(
    not sys.platform.startswith("linux") or platform.libc_ver()[0] != "glibc",
    reason="malloc_trim is a glibc function",
)
def test_glibc_trim_is_found() -> None:
    assert memory._trim() is not None


def test_phase_end_releases_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    monkeypatch.setattr("leadforge_core.progress.release_memory", lambda: calls.append("x"))
    with pytest.raises(RuntimeError), phase(NullProgress(), "simulation"):
        raise RuntimeError("boom")
    assert calls == ["x"]
    memory.release_memory()  # callable for real, whatever the C library


def test_huge_page_advice_is_off_inside_and_restored_after() -> None:
    getter = memory._numpy_multiarray("_get_madvise_hugepage")
    assert getter is not None
    before = getter()
    with memory.without_huge_page_advice():
        assert getter() is False
    assert getter() == before

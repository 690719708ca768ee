"""Scheme checks for ``leadforge validate`` (placeholder filled below)."""

from __future__ import annotations

from typing import Any

CHECKS: tuple[Any, ...] = ()


def inspect_summary(view: Any) -> dict[str, Any]:
    return {}

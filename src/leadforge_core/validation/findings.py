"""Structured validation results."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

import attrs

if TYPE_CHECKING:
    from leadforge_core.validation.view import BundleView


__all__ = ["Finding", "Report", "named_check"]


@attrs.frozen
class Finding:
    """One problem found in a bundle: which check, what, and where (file or table.column)."""

    check: str
    message: str
    location: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"check": self.check, "message": self.message, "location": self.location}

    def __str__(self) -> str:
        where = f" [{self.location}]" if self.location else ""
        return f"{self.check}: {self.message}{where}"


#: A check reads a bundle and yields findings; it must not raise for bad data.
Check = Callable[["BundleView"], Iterable[Finding]]


@attrs.define
class Report:
    """The outcome of validating one bundle."""

    path: str
    checks_run: list[str] = attrs.field(factory=list)
    findings: list[Finding] = attrs.field(factory=list)
    #: ``(check, reason)`` for every check not run (deselected, or its plugin not installed).
    checks_skipped: list[tuple[str, str]] = attrs.field(factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings

    def to_dict(self) -> dict[str, Any]:
        return {
            "bundle": self.path,
            "ok": self.ok,
            "checks_run": self.checks_run,
            "checks_skipped": [{"check": c, "reason": r} for c, r in self.checks_skipped],
            "findings": [f.to_dict() for f in self.findings],
        }


def named_check(name: str, fn: Callable[[BundleView], Iterable[Finding]]) -> Check:
    """Wrap ``fn`` as the check ``name``: a missing or unreadable file, and data that the check
    cannot evaluate (polars, key, type or value errors), become findings of that check
    instead of exceptions."""
    import polars as pl

    from leadforge_core.validation.view import BundleReadError

    def check(view: BundleView) -> Iterator[Finding]:
        try:
            yield from fn(view)
        except BundleReadError as exc:
            yield Finding(name, exc.message, exc.location)
        except (pl.exceptions.PolarsError, KeyError, TypeError, ValueError) as exc:
            yield Finding(name, f"cannot evaluate: {type(exc).__name__}: {exc}"[:300])

    check.__name__ = name
    return check

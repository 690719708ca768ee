"""Validation checks contributed through the ``leadforge_register_checks`` hook, and the
``--select`` / ``--ignore`` patterns of ``leadforge validate``.

A plugin returns :class:`NamedCheck` objects; the core names each ``<plugin>.<check>`` (the
plugin's entry-point name), so two plugins never collide, and one plugin returning a name
twice is its bug.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING

import attrs

from leadforge_core.errors import ConfigError, PluginCrash
from leadforge_core.validation.findings import Finding

if TYPE_CHECKING:
    from leadforge_core.plugins import PluginHost, PluginRecord
    from leadforge_core.validation.view import BundleView

#: The hook checks are registered through (see :mod:`leadforge_core.hookspecs`).
HOOK = "leadforge_register_checks"
_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_\-]*$")


@attrs.frozen
class NamedCheck:
    """A validation check a plugin registers.

    Arguments:
        name: the check's name within its plugin (letters, digits, ``_`` and ``-``); the
            report shows ``<plugin>.<name>``.
        fn: ``fn(view) -> Iterable[Finding]``, reading the bundle through the read-only
            :class:`~leadforge_core.validation.view.BundleView`. Wrap it with
            :func:`~leadforge_core.validation.findings.named_check` so data it cannot
            evaluate becomes a finding; any other exception is the plugin's bug.
        description: one line saying what it verifies.
    """

    name: str
    fn: Callable[[BundleView], Iterable[Finding]]
    description: str = ""


@attrs.frozen
class PluginCheck:
    """A registered check with its full name and the plugin it came from."""

    full_name: str
    check: NamedCheck
    plugin: PluginRecord


def collect(host: PluginHost, schemes: Sequence[str]) -> list[PluginCheck]:
    """Every plugin's checks for a bundle whose scheme lineage is ``schemes`` (the scheme,
    then its bases): the hook is called once per name; a check returned for several of them
    runs once.

    Raises:
        PluginCrash: a hook raised, returned something other than a list of
            :class:`NamedCheck`, an invalid name, or one name twice in one answer.
    """
    out: dict[str, PluginCheck] = {}
    for scheme in schemes:
        for record, result in host.call_hook(HOOK, scheme=scheme):
            seen: set[str] = set()
            for item in _items(record, result):
                if item.name in seen:
                    raise _crash(record, f"check name {item.name!r} is registered twice")
                seen.add(item.name)
                full = f"{record.name}.{item.name}"
                out.setdefault(full, PluginCheck(full, item, record))
    return list(out.values())


def _items(record: PluginRecord, result: object) -> list[NamedCheck]:
    if result is None:
        return []
    if not isinstance(result, list | tuple):
        raise _crash(record, f"returned {type(result).__name__}, not a list of NamedCheck")
    for item in result:
        if not isinstance(item, NamedCheck):
            raise _crash(record, f"returned {item!r}, which is not a NamedCheck")
        if not _NAME.match(item.name):
            raise _crash(record, f"check name {item.name!r} is not a plain name (a-z, 0-9, _, -)")
    return list(result)


def _crash(record: PluginRecord, detail: str) -> PluginCrash:
    return PluginCrash(
        plugin=record.name,
        distribution=record.distribution,
        version=record.version,
        phase=HOOK,
        detail=detail,
    )


def _matches(name: str, pattern: str) -> bool:
    if any(ch in pattern for ch in "*?["):
        return fnmatch.fnmatchcase(name, pattern)
    return name.startswith(pattern)


@attrs.frozen
class Selection:
    """Which checks ``validate`` runs: ``select`` patterns (none: every check) minus
    ``ignore`` patterns. A pattern with ``*``, ``?`` or ``[`` is a shell-style glob on the
    full check name; any other pattern is a prefix (``lead_scoring.`` selects that plugin's
    checks, ``leak`` the ``leakage`` check)."""

    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()

    def skip_reason(self, name: str) -> str | None:
        """Why check ``name`` is not run, or ``None`` when it runs."""
        if self.select and not any(_matches(name, p) for p in self.select):
            return "not selected by --select"
        hit = next((p for p in self.ignore if _matches(name, p)), None)
        if hit is not None:
            return f"ignored by --ignore {hit}"
        return None

    def check_patterns(self, names: Iterable[str]) -> None:
        """Raise :class:`ConfigError` for a ``--select`` pattern that matches no check (a
        typo would otherwise pass validation by running nothing)."""
        known = list(names)
        bad = [p for p in self.select if not any(_matches(n, p) for n in known)]
        if bad:
            raise ConfigError(
                f"--select {', '.join(bad)} matches no check (checks: {', '.join(known)})"
            )


__all__ = ["HOOK", "NamedCheck", "PluginCheck", "Selection", "collect"]

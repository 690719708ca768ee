"""Plugin host: discovers ``leadforge`` entry points and registers schemes, recipes,
exporters and CLI commands. The core's own export formats are registered first, through the same hook, as the
plugin ``builtins`` of distribution ``leadforge-core``.

Each entry point loads inside its own error boundary: a broken plugin becomes one warning
line naming it and its distribution, and everything else keeps working.
``LEADFORGE_STRICT_PLUGINS=1`` turns such failures into errors. ``LEADFORGE_PLUGINS`` (a comma
list of entry-point or distribution names) limits which plugins load;
``LEADFORGE_DISABLE_PLUGINS`` skips the ones it names.

Once loaded, every call into plugin code — scheme methods and hook implementations — runs
inside :func:`plugin_code`: an unexpected exception becomes a
:class:`~leadforge_core.errors.PluginCrash` naming the plugin, its distribution and version and
the phase, while a deliberate :class:`~leadforge_core.errors.LeadforgeError` passes unchanged.
"""

from __future__ import annotations

import contextlib
import os
import sys
import weakref
from collections.abc import Callable, Iterator
from importlib.metadata import EntryPoint, entry_points
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
import pluggy

from leadforge_core import __version__, hookspecs
from leadforge_core.errors import LeadforgeError, PluginCrash, PluginError
from leadforge_core.scheme import API_VERSION, Scheme

if TYPE_CHECKING:
    from leadforge_core.commands import Command
    from leadforge_core.exporters.base import Exporter

__all__ = [
    "GROUP",
    "PluginHost",
    "PluginRecord",
    "RecipeSource",
    "get_host",
    "owner_of",
    "plugin_code",
    "set_host",
    "strict_mode",
]


#: The entry-point group plugins declare (``[project.entry-points.leadforge]``).
GROUP = "leadforge"
Warn = Callable[[str], None]


def _stderr_warn(message: str) -> None:
    print(f"warning: {message}", file=sys.stderr)


def _env_list(name: str) -> set[str] | None:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return None
    return {p.strip() for p in raw.split(",") if p.strip()}


def strict_mode() -> bool:
    """Whether ``LEADFORGE_STRICT_PLUGINS`` asks for plugin load failures to be errors."""
    return os.environ.get("LEADFORGE_STRICT_PLUGINS", "").strip().lower() in {
        "1",
        "true",
        "yes",
        "on",
    }


@attrs.define
class PluginRecord:
    """What ``leadforge plugins`` reports for one plugin."""

    name: str
    distribution: str
    version: str
    schemes: list[str] = attrs.field(factory=list)
    recipes: list[str] = attrs.field(factory=list)
    exporters: list[str] = attrs.field(factory=list)
    commands: list[str] = attrs.field(factory=list)
    hooks: list[str] = attrs.field(factory=list)
    errors: list[str] = attrs.field(factory=list)
    status: str = "loaded"  # loaded | failed | disabled

    @property
    def label(self) -> str:
        return f"plugin '{self.name}' (distribution {self.distribution} {self.version})"

    def to_dict(self) -> dict[str, Any]:
        return attrs.asdict(self)


@attrs.frozen
class RecipeSource:
    """A recipe file registered by a plugin."""

    resource: Traversable | Path
    plugin: PluginRecord

    def read_text(self) -> str:
        return self.resource.read_text(encoding="utf-8")

    @property
    def label(self) -> str:
        return f"{self.plugin.distribution}:{self.resource.name}"


class PluginHost:
    """Registry of schemes, recipe files and exporters, filled from the core's built-ins, entry
    points and direct registration."""

    def __init__(self, warn: Warn = _stderr_warn, strict: bool | None = None) -> None:
        self.pm = pluggy.PluginManager(hookspecs.PROJECT)
        self.pm.add_hookspecs(hookspecs)
        self.records: list[PluginRecord] = []
        self.schemes: dict[str, tuple[type[Scheme], PluginRecord]] = {}
        self.conflicts: dict[str, list[PluginRecord]] = {}
        self.recipe_files: list[RecipeSource] = []
        self.by_plugin_name: dict[str, PluginRecord] = {}
        self.exporters: dict[str, tuple[type[Exporter], PluginRecord]] = {}
        self.exporter_conflicts: dict[str, list[PluginRecord]] = {}
        self.commands: dict[str, tuple[Command, PluginRecord]] = {}
        self.command_conflicts: dict[str, list[PluginRecord]] = {}
        self.warn = warn
        self.strict = strict_mode() if strict is None else strict
        from leadforge_core.exporters import builtin

        self.register(builtin, PluginRecord("builtins", "leadforge-core", __version__))

    # -- loading -------------------------------------------------------------------------
    def load_entry_points(self) -> None:
        only = _env_list("LEADFORGE_PLUGINS")
        skip = _env_list("LEADFORGE_DISABLE_PLUGINS") or set()
        eps = sorted(entry_points(group=GROUP), key=lambda ep: (ep.name, _dist_name(ep)))
        for ep in eps:
            names = {ep.name, _dist_name(ep)}
            if (only is not None and not names & only) or names & skip:
                self.records.append(
                    PluginRecord(ep.name, _dist_name(ep), _dist_version(ep), status="disabled")
                )
                continue
            record = PluginRecord(ep.name, _dist_name(ep), _dist_version(ep))
            try:
                obj = ep.load()
            except Exception as exc:  # the error boundary: any import-time failure
                self._fail(record, f"failed to load: {_describe(exc)}")
                self.records.append(record)
                continue
            self.register(obj, record)

    def register(self, plugin: object, record: PluginRecord) -> PluginRecord:
        """Register a plugin object (a module or instance with ``@hookimpl`` functions)."""
        self.records.append(record) if record not in self.records else None
        pm_name = f"{record.distribution}:{record.name}"
        try:
            self.pm.register(plugin, name=pm_name)
        except Exception as exc:
            self._fail(record, f"is not a valid leadforge plugin: {_describe(exc)}")
            return record
        self.by_plugin_name[pm_name] = record
        record.hooks = sorted(h.name for h in self.pm.get_hookcallers(plugin) or [])
        self._collect_schemes(plugin, record)
        self._collect_recipes(plugin, record)
        self._collect_exporters(plugin, record)
        self._collect_commands(plugin, record)
        return record

    def unregister(self, record: PluginRecord) -> None:
        """Remove a plugin and everything it registered (used by tests and fixtures)."""
        plugin = self.pm.get_plugin(f"{record.distribution}:{record.name}")
        if plugin is not None:
            self.pm.unregister(plugin)
        self.by_plugin_name = {k: v for k, v in self.by_plugin_name.items() if v is not record}
        self.schemes = {k: v for k, v in self.schemes.items() if v[1] is not record}
        self.recipe_files = [r for r in self.recipe_files if r.plugin is not record]
        self.exporters = {k: v for k, v in self.exporters.items() if v[1] is not record}
        for name, owners in list(self.exporter_conflicts.items()):
            owners[:] = [r for r in owners if r is not record]
            if len(owners) <= 1:
                del self.exporter_conflicts[name]
        self.commands = {k: v for k, v in self.commands.items() if v[1] is not record}
        for name, owners in list(self.command_conflicts.items()):
            owners[:] = [r for r in owners if r is not record]
            if not owners:
                del self.command_conflicts[name]
        self.records = [r for r in self.records if r is not record]

    def _call(self, hook_name: str, plugin: object, record: PluginRecord) -> list[Any] | None:
        impl = getattr(plugin, hook_name, None)
        if impl is None:
            return []
        try:
            result = impl()
        except Exception as exc:
            self._fail(record, f"raised in {hook_name}: {_describe(exc)}")
            return None
        if result is None:
            return []
        if not isinstance(result, list | tuple):
            self._fail(record, f"{hook_name} must return a list, got {type(result).__name__}")
            return None
        return list(result)

    def _collect_schemes(self, plugin: object, record: PluginRecord) -> None:
        for cls in self._call("leadforge_register_schemes", plugin, record) or []:
            if not (isinstance(cls, type) and issubclass(cls, Scheme)):
                self._fail(record, f"registered {cls!r}, which is not a Scheme subclass")
                continue
            name = getattr(cls, "name", None)
            if not isinstance(name, str) or not name:
                self._fail(record, f"scheme class {cls.__name__} has no name")
                continue
            if getattr(cls, "api_version", None) != API_VERSION:
                self._fail(
                    record,
                    f"scheme '{name}' targets plugin API v{getattr(cls, 'api_version', '?')}, "
                    f"this leadforge-core supports v{API_VERSION}",
                )
                continue
            if not self._claim("scheme", name, cls, record, self.schemes, self.conflicts):
                continue
            _OWNERS[cls] = record
            record.schemes.append(name)

    def _collect_recipes(self, plugin: object, record: PluginRecord) -> None:
        for res in self._call("leadforge_register_recipes", plugin, record) or []:
            if not (isinstance(res, Path | Traversable) and hasattr(res, "read_text")):
                self._fail(record, f"registered recipe {res!r}, which is not a file path")
                continue
            self.recipe_files.append(RecipeSource(res, record))

    def _collect_exporters(self, plugin: object, record: PluginRecord) -> None:
        from leadforge_core.exporters.base import Exporter

        for cls in self._call("leadforge_register_exporters", plugin, record) or []:
            if not (isinstance(cls, type) and issubclass(cls, Exporter)):
                self._fail(record, f"registered {cls!r}, which is not an Exporter subclass")
                continue
            name = getattr(cls, "name", None)
            if not isinstance(name, str) or not name:
                self._fail(record, f"exporter class {cls.__name__} has no name")
                continue
            if self._claim("exporter", name, cls, record, self.exporters, self.exporter_conflicts):
                record.exporters.append(name)

    def _collect_commands(self, plugin: object, record: PluginRecord) -> None:
        from leadforge_core.commands import BUILTIN_COMMANDS, COMMAND_NAME, Command

        for command in self._call("leadforge_register_commands", plugin, record) or []:
            if not isinstance(command, Command):
                self._fail(record, f"registered {command!r}, which is not a leadforge_core.Command")
                continue
            name = command.name
            if not isinstance(name, str) or not COMMAND_NAME.match(name):
                self._fail(
                    record,
                    f"command name {name!r} is not lowercase words joined by hyphens; skipped",
                )
                continue
            if not callable(command.target):  # a function or a Typer app
                self._fail(record, f"command '{name}' has no function or Typer app; skipped")
                continue
            if name in BUILTIN_COMMANDS:
                self._fail(
                    record,
                    f"command '{name}' clashes with the built-in command of leadforge-core "
                    f"{__version__}; skipped",
                )
                continue
            claimed = self._claim(
                "command",
                name,
                command,
                record,
                self.commands,
                self.command_conflicts,
                owned=lambda r: r.commands,
            )
            if claimed:
                record.commands.append(name)

    def _claim(
        self,
        kind: str,
        name: str,
        item: Any,
        record: PluginRecord,
        table: dict[str, tuple[Any, PluginRecord]],
        conflicts: dict[str, list[PluginRecord]],
        *,
        owned: Callable[[PluginRecord], list[str]] | None = None,
    ) -> bool:
        """Register ``item`` as ``table[name]`` for ``record`` unless another plugin already
        claimed that name: then neither keeps it, the clash is recorded in ``conflicts`` and
        reported naming both distributions. ``owned`` gives a record's list of names of this
        kind, from which an evicted first owner's name is removed (and a later claimant is
        told it was skipped)."""
        skipped = "skipped, " if owned is not None else ""
        if name in conflicts:
            conflicts[name].append(record)
            if owned is not None:
                self._fail(record, f"{kind} '{name}' is registered by several plugins; skipped")
            return False
        if name in table:
            first = table.pop(name)[1]
            if owned is not None:
                owned(first).remove(name)
            conflicts[name] = [first, record]
            self._fail(
                record,
                f"{kind} '{name}' is registered by both {first.distribution} and "
                f"{record.distribution}; {skipped}uninstall one of them",
            )
            return False
        table[name] = (item, record)
        return True

    def _fail(self, record: PluginRecord, message: str) -> None:
        record.errors.append(message)
        if not (record.schemes or record.recipes or record.exporters or record.commands):
            record.status = "failed"
        text = f"{record.label} {message}"
        if self.strict:
            raise PluginError(text + " (LEADFORGE_STRICT_PLUGINS is set)")
        self.warn(text)

    # -- calling plugins -------------------------------------------------------------------
    def call_hook(self, hook_name: str, **kwargs: Any) -> list[tuple[PluginRecord, Any]]:
        """Call every implementation of ``hook_name``, each inside :func:`plugin_code`.

        Args:
            hook_name: a hook of :mod:`leadforge_core.hookspecs`.
            kwargs: the hook's arguments (each implementation receives the ones it names).

        Returns:
            ``(plugin record, result)`` per implementation, in pluggy's call order.

        Raises:
            PluginCrash: an implementation raised an unexpected exception.
        """
        caller = getattr(self.pm.hook, hook_name)
        out: list[tuple[PluginRecord, Any]] = []
        for impl in reversed(caller.get_hookimpls()):
            record = self.by_plugin_name.get(impl.plugin_name) or PluginRecord(
                impl.plugin_name, "unknown", "?"
            )
            args = {k: kwargs[k] for k in impl.argnames if k in kwargs}
            with plugin_code(record, hook_name):
                result = impl.function(**args)
            out.append((record, result))
        return out

    # -- lookups -------------------------------------------------------------------------
    def scheme(self, name: str) -> tuple[type[Scheme], PluginRecord]:
        if name in self.conflicts:
            dists = " and ".join(r.distribution for r in self.conflicts[name])
            raise PluginError(f"scheme '{name}' is registered by both {dists}; uninstall one")
        try:
            return self.schemes[name]
        except KeyError:
            known = ", ".join(sorted(self.schemes)) or "none installed"
            raise PluginError(f"unknown scheme '{name}' (installed schemes: {known})") from None

    def exporter(self, name: str) -> tuple[type[Exporter], PluginRecord]:
        """The exporter class registered for format ``name`` and the plugin that registered it.

        Raises :class:`~leadforge_core.errors.PluginError` for an unknown format (listing the
        known ones) or a format registered by two distributions.
        """
        if name in self.exporter_conflicts:
            dists = " and ".join(r.distribution for r in self.exporter_conflicts[name])
            raise PluginError(f"exporter '{name}' is registered by both {dists}; uninstall one")
        try:
            return self.exporters[name]
        except KeyError:
            known = ", ".join(sorted(self.exporters)) or "none installed"
            raise PluginError(f"unknown export format '{name}' (known formats: {known})") from None


def _dist_name(ep: EntryPoint) -> str:
    return ep.dist.name if ep.dist is not None else "unknown"


def _dist_version(ep: EntryPoint) -> str:
    return ep.dist.version if ep.dist is not None else "?"


def _describe(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


#: Which plugin registered each scheme class (filled by :meth:`PluginHost.register`).
_OWNERS: weakref.WeakKeyDictionary[type, PluginRecord] = weakref.WeakKeyDictionary()


def owner_of(scheme: object) -> PluginRecord:
    """The plugin that registered ``scheme`` (a :class:`Scheme` class or instance).

    A class no host registered (built by hand in a test) is attributed to its module.
    """
    cls = scheme if isinstance(scheme, type) else type(scheme)
    record = _OWNERS.get(cls)
    if record is not None:
        return record
    module = getattr(cls, "__module__", "") or "unknown"
    name = getattr(cls, "name", None) or cls.__name__
    return PluginRecord(str(name), module.split(".")[0], "?")


@contextlib.contextmanager
def plugin_code(
    owner: PluginRecord | object, phase: str, expected: tuple[type[Exception], ...] = ()
) -> Iterator[None]:
    """Run a call into plugin code: its unexpected exceptions become a :class:`PluginCrash`.

    Args:
        owner: the plugin's record, or the scheme (class or instance) whose method is called.
        phase: what is being called (``"simulate"``, ``"checks"``, a hook name, …), for the
            message.
        expected: further exception types the caller handles itself (passed through).

    A :class:`~leadforge_core.errors.LeadforgeError` the plugin raises on purpose (a
    ``ConfigError`` …) and ``MemoryError`` pass through unchanged; ``KeyboardInterrupt`` is
    not an ``Exception`` and is never wrapped.
    """
    passthrough: tuple[type[Exception], ...] = (LeadforgeError, MemoryError, *expected)
    try:
        yield
    except passthrough:
        raise
    except Exception as exc:
        record = owner if isinstance(owner, PluginRecord) else owner_of(owner)
        raise PluginCrash(
            plugin=record.name,
            distribution=record.distribution,
            version=record.version,
            phase=phase,
            detail=_describe(exc),
        ) from exc


_HOST: PluginHost | None = None


def get_host() -> PluginHost:
    """The process-wide host, loading entry points on first use."""
    global _HOST
    if _HOST is None:
        host = PluginHost()
        host.load_entry_points()
        _HOST = host
    return _HOST


def set_host(host: PluginHost | None) -> None:
    """Replace the process-wide host (``None`` reloads from entry points on next use)."""
    global _HOST
    _HOST = host

"""Structured exception hierarchy.

Everything a user can cause is a :class:`LeadforgeError`; the CLI prints its message (one line
per problem) and exits with :attr:`LeadforgeError.exit_code`:

* ``1`` — :class:`ValidationFailed`, a bundle failed validation;
* ``2`` — usage, configuration, recipe, plugin-loading and output errors;
* ``3`` — :class:`PluginCrash`, code in a plugin raised an unexpected exception, or
  (:class:`SchemeContractError`) a scheme broke a contract the core enforces.

Anything else is a bug in leadforge-core and may show a traceback.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = [
    "MAX_PROBLEMS",
    "BundleIOError",
    "ConfigError",
    "ExportError",
    "LeadforgeError",
    "PluginCrash",
    "PluginError",
    "RecipeError",
    "RenderError",
    "SchemeContractError",
    "SimulationError",
    "ValidationFailed",
]


#: Problems listed in full in one error; the rest are counted ("and N more").
MAX_PROBLEMS = 20


class LeadforgeError(Exception):
    """Base class for every error a user can cause."""

    exit_code = 2

    @property
    def lines(self) -> list[str]:
        """The message as the CLI prints it: one line per problem."""
        return [" ".join(line.split()) for line in str(self).splitlines() if line.strip()]


def _problem_text(problems: Sequence[str], limit: int = MAX_PROBLEMS) -> str:
    shown = list(problems[:limit])
    if len(problems) > limit:
        shown.append(f"and {len(problems) - limit} more")
    return "\n".join(shown)


class ConfigError(LeadforgeError):
    """A configuration value is malformed, of the wrong type, out of range or unknown.

    Args:
        message: what is wrong, for one problem.
        key: the dotted parameter key the problem is about, relative to the scheme's
            parameters (``"population.n_stores"``). A scheme raising from ``complete_params``
            sets it so the core can say which layer and line set the value.
    """

    def __init__(self, message: str, *, key: str | None = None) -> None:
        super().__init__(f"{key}: {message}" if key else message)
        self.message = message
        self.key = key
        self.problems: list[str] = [message]

    @classmethod
    def of(cls, problems: Sequence[str]) -> ConfigError:
        """One error listing every problem (``file:line: dotted.key: message`` each), capped
        at :data:`MAX_PROBLEMS` lines plus ``and N more``."""
        err = cls(_problem_text(problems))
        err.problems = list(problems)
        return err


class RecipeError(LeadforgeError):
    """A recipe cannot be found, parsed, or resolved."""

    @classmethod
    def of(cls, problems: Sequence[str]) -> RecipeError:
        """One error listing every problem, capped like :meth:`ConfigError.of`."""
        return cls(_problem_text(problems))


class PluginError(LeadforgeError):
    """A plugin failed to load or registered something invalid."""


class PluginCrash(PluginError):
    """Code in a plugin raised an unexpected exception (a bug in that plugin; exit code 3).

    The core wraps every call into plugin code (scheme methods, hook implementations) so a
    plugin's bug is reported as that plugin's, on one line, with the phase it happened in.
    The original exception is kept as ``__cause__`` (shown with ``--debug``).

    Args:
        plugin: entry-point name of the plugin (``"lead_scoring"``).
        distribution: distribution that ships it (``"leadforge-lead-scoring"``).
        version: that distribution's version.
        phase: what the core was calling (``"simulate"``, ``"checks"``, a hook name, …).
        detail: what went wrong, usually ``"ValueError: message"``.
    """

    exit_code = 3

    def __init__(
        self, *, plugin: str, distribution: str, version: str, phase: str, detail: str
    ) -> None:
        self.plugin = plugin
        self.distribution = distribution
        self.version = version
        self.phase = phase
        self.detail = detail
        super().__init__(
            f"plugin '{plugin}' (distribution {distribution} {version}) failed in {phase}: "
            f"{detail} (set LEADFORGE_DEBUG=1 or pass --debug for the traceback)"
        )


class SimulationError(LeadforgeError):
    """A scheme could not build or simulate its world with the given parameters."""


class RenderError(LeadforgeError):
    """Rendering tables, tasks or metadata from a simulated world failed."""


class SchemeContractError(PluginCrash):
    """A scheme broke a contract the core enforces at publication (public ⊆ instructor,
    declared column types, task details shape): a bug of that scheme's plugin, not of the
    user's input (exit code 3, like any :class:`PluginCrash`).

    Args:
        plugin: entry-point name of the plugin.
        distribution: distribution that ships it.
        version: that distribution's version.
        scheme: the scheme's name.
        contract: the contract broken (``"public ⊆ instructor"``).
        problems: what is wrong; the first is shown, the rest counted.
    """

    def __init__(
        self,
        *,
        plugin: str,
        distribution: str,
        version: str,
        scheme: str,
        contract: str,
        problems: Sequence[str],
    ) -> None:
        self.plugin = plugin
        self.distribution = distribution
        self.version = version
        self.phase = "publication"
        self.scheme = scheme
        self.contract = contract
        self.problems = list(problems)
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        self.detail = f"{problems[0] if problems else 'unknown problem'}{more}"
        PluginError.__init__(
            self,
            f"scheme {scheme} of plugin '{plugin}' (distribution {distribution} {version}) broke "
            f"the {contract} contract: {self.detail}; this is a bug in the scheme, not in the "
            "input",
        )


class BundleIOError(LeadforgeError):
    """A bundle cannot be written to, or read from, the requested place."""


class ExportError(LeadforgeError):
    """An export format is unknown, misconfigured, missing its optional dependency, or failed."""


class ValidationFailed(LeadforgeError):
    """A bundle failed validation (exit code 1, unlike usage errors)."""

    exit_code = 1

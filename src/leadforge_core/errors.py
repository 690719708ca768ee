"""Structured exception hierarchy.

Everything a user can cause is a :class:`LeadforgeError`; the CLI prints its message on one
line and exits with :attr:`LeadforgeError.exit_code`. Anything else is a bug and may show a
traceback.
"""

from __future__ import annotations


class LeadforgeError(Exception):
    """Base class for every error a user can cause."""

    exit_code = 2


class ConfigError(LeadforgeError):
    """A configuration value is malformed, of the wrong type, out of range or unknown."""


class RecipeError(LeadforgeError):
    """A recipe cannot be found, parsed, or resolved."""


class PluginError(LeadforgeError):
    """A plugin failed to load or registered something invalid."""


class SimulationError(LeadforgeError):
    """A scheme could not build or simulate its world with the given parameters."""


class RenderError(LeadforgeError):
    """Rendering tables, tasks or metadata from a simulated world failed."""


class BundleIOError(LeadforgeError):
    """A bundle cannot be written to, or read from, the requested place."""


class ValidationFailed(LeadforgeError):
    """A bundle failed validation (exit code 1, unlike usage errors)."""

    exit_code = 1

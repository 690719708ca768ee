"""The optional scikit-learn dependency, imported on demand with a one-line error."""

from __future__ import annotations

import importlib
from types import ModuleType

from leadforge_core.errors import LeadforgeError

INSTALL_HINT = "pip install 'leadforge-core[evaluate]'"


class MissingExtraError(LeadforgeError):
    """An optional dependency of ``leadforge evaluate`` is not installed (exit 2)."""


def require(module: str = "sklearn") -> ModuleType:
    """Import ``module`` or raise :class:`MissingExtraError` naming the extra to install."""
    try:
        return importlib.import_module(module)
    except ImportError:
        top = module.split(".")[0]
        name = "scikit-learn" if top == "sklearn" else top
        raise MissingExtraError(
            f"leadforge evaluate needs {name}, which is not installed: {INSTALL_HINT}"
        ) from None

"""leadforge-lifecycle: customer lifecycle and predictive lifetime value (pLTV) scheme."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("leadforge-lifecycle")
except PackageNotFoundError:  # source tree without installation
    __version__ = "0.0.0+source"


def __getattr__(name: str) -> object:
    """``LifecycleScheme``, the public scheme class a derived scheme subclasses (imported on
    first use)."""
    if name == "LifecycleScheme":
        from leadforge_lifecycle.scheme import LifecycleScheme

        return LifecycleScheme
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["LifecycleScheme", "__version__"]

"""leadforge-lifecycle: customer lifecycle and predictive lifetime value (pLTV) scheme."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("leadforge-lifecycle")
except PackageNotFoundError:  # source tree without installation
    __version__ = "0.0.0+source"

"""leadforge-lead-scoring: a simulated B2B SaaS funnel and its 90-day conversion task."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("leadforge-lead-scoring")
except PackageNotFoundError:  # source tree without installation
    __version__ = "0.0.0+source"

"""leadforge-lead-scoring: a simulated B2B SaaS funnel and its 90-day conversion task."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("leadforge-lead-scoring")
except PackageNotFoundError:  # source tree without installation
    __version__ = "0.0.0+source"


def __getattr__(name: str) -> object:
    """``LeadScoringScheme``, the public scheme class a derived scheme subclasses (imported
    on first use)."""
    if name == "LeadScoringScheme":
        from leadforge_lead_scoring.scheme import LeadScoringScheme

        return LeadScoringScheme
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["LeadScoringScheme", "__version__"]

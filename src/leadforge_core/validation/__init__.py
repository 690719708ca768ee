"""Bundle validation: artifact, exposure and feature checks plus each scheme's own checks.

The entry point is :func:`leadforge_core.validation.runner.validate_bundle`.
"""

from leadforge_core.validation.findings import Check, Finding, Report

__all__ = ["Check", "Finding", "Report"]

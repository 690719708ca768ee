"""pluggy hook implementations: the ``lifecycle`` scheme, its packaged recipe and report sections."""

from __future__ import annotations

from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import TYPE_CHECKING

from leadforge_core import Scheme, hookimpl
from leadforge_lifecycle.scheme import LifecycleScheme

if TYPE_CHECKING:
    from leadforge_core.report.model import ReportSection
    from leadforge_core.validation.checks import NamedCheck
    from leadforge_core.validation.view import BundleView


@hookimpl
def leadforge_register_schemes() -> list[type[Scheme]]:
    return [LifecycleScheme]


@hookimpl
def leadforge_register_recipes() -> list[Traversable | Path]:
    return [files("leadforge_lifecycle") / "recipes" / "b2b_saas_ltv_v1.yaml"]


@hookimpl
def leadforge_report_sections(view: BundleView) -> list[ReportSection]:
    from leadforge_lifecycle.report import report_sections

    return report_sections(view)


@hookimpl
def leadforge_register_checks(scheme: str) -> list[NamedCheck]:
    """The scheme's checks, through the same hook any plugin uses (also run on bundles of
    schemes derived from ``lifecycle``)."""
    if scheme != LifecycleScheme.name:
        return []
    from leadforge_core.validation.checks import NamedCheck
    from leadforge_lifecycle.checks import CHECKS

    return [NamedCheck(check.__name__, check) for check in CHECKS]

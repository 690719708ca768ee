"""pluggy hook implementations registering the scheme, its recipe, its validation checks and
its report sections."""

from __future__ import annotations

from importlib.resources import files
from importlib.resources.abc import Traversable
from typing import TYPE_CHECKING

from leadforge_core import hookimpl
from leadforge_lead_scoring.scheme import LeadScoringScheme

if TYPE_CHECKING:
    from leadforge_core.report.model import ReportSection
    from leadforge_core.validation.checks import NamedCheck
    from leadforge_core.validation.view import BundleView


@hookimpl
def leadforge_register_schemes() -> list[type]:
    return [LeadScoringScheme]


@hookimpl
def leadforge_register_recipes() -> list[Traversable]:
    return [files("leadforge_lead_scoring") / "recipes" / "b2b_saas_procurement_v1.yaml"]


@hookimpl
def leadforge_report_sections(view: BundleView) -> list[ReportSection]:
    from leadforge_lead_scoring.report import report_sections

    return report_sections(view)


@hookimpl
def leadforge_register_checks(scheme: str) -> list[NamedCheck]:
    """The scheme's checks, through the same hook any plugin uses (also run on bundles of
    schemes derived from ``lead_scoring``)."""
    if scheme != LeadScoringScheme.name:
        return []
    from leadforge_core.validation.checks import NamedCheck
    from leadforge_lead_scoring.checks import CHECKS

    return [NamedCheck(check.__name__, check) for check in CHECKS]

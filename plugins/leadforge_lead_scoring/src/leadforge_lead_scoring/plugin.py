"""pluggy hook implementations registering the scheme, its recipe and its report sections."""

from __future__ import annotations

from importlib.resources import files
from importlib.resources.abc import Traversable
from typing import TYPE_CHECKING

from leadforge_core import hookimpl
from leadforge_lead_scoring.scheme import LeadScoringScheme

if TYPE_CHECKING:
    from leadforge_core.report.model import ReportSection
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

"""pluggy hook implementations registering the scheme and its recipe."""

from __future__ import annotations

from importlib.resources import files
from importlib.resources.abc import Traversable

from leadforge_core import hookimpl
from leadforge_lead_scoring.scheme import LeadScoringScheme


@hookimpl
def leadforge_register_schemes() -> list[type]:
    return [LeadScoringScheme]


@hookimpl
def leadforge_register_recipes() -> list[Traversable]:
    return [files("leadforge_lead_scoring") / "recipes" / "b2b_saas_procurement_v1.yaml"]

"""Small worlds for the lead-scoring tests: generation and stage-level contexts."""

from __future__ import annotations

from typing import Any

from leadforge_core.api import Generator
from leadforge_core.scheme import RunContext

RECIPE = "b2b_saas_procurement_v1"
N_LEADS = 3000


def generate(mode: str, **kw: Any) -> Any:
    kw.setdefault("seed", 7)
    kw.setdefault("n_leads", N_LEADS)
    return Generator.from_recipe(RECIPE, exposure_mode=mode, **kw).generate(timestamp=0)


def context(**kw: Any) -> tuple[Any, RunContext]:
    """A scheme and run context resolved like the CLI would, for stage-level tests."""
    kw.setdefault("seed", 7)
    kw.setdefault("n_leads", 1200)
    mode = kw.pop("exposure_mode", "research_instructor")
    plan = Generator.from_recipe(RECIPE, exposure_mode=mode, **kw).plan
    return plan.scheme, plan.context()

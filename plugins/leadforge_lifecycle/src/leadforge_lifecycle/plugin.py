"""pluggy hook implementations: the ``lifecycle`` scheme and its packaged recipe."""

from __future__ import annotations

from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path

from leadforge_core import Scheme, hookimpl
from leadforge_lifecycle.scheme import LifecycleScheme


@hookimpl
def leadforge_register_schemes() -> list[type[Scheme]]:
    return [LifecycleScheme]


@hookimpl
def leadforge_register_recipes() -> list[Traversable | Path]:
    return [files("leadforge_lifecycle") / "recipes" / "b2b_saas_ltv_v1.yaml"]

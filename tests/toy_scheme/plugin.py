"""Entry point module of the toy plugin."""

from __future__ import annotations

from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path

from leadforge_core import hookimpl
from leadforge_core.scheme import Scheme


@hookimpl
def leadforge_register_schemes() -> list[type[Scheme]]:
    from toy_scheme.scheme import ToyShop

    return [ToyShop]


@hookimpl
def leadforge_register_recipes() -> list[Traversable | Path]:
    return [files("toy_scheme") / "recipes" / "toy_shop_v1.yaml"]

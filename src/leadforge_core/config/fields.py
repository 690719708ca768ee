"""Field helpers for config models: a default, bounds and a help text kept as metadata.

Bounds are checked after structuring (``constraints.check``) so a violation is reported with
its dotted key and source line, like a type error.
"""

from __future__ import annotations

from typing import Any

import attrs


def _meta(help: str, **bounds: Any) -> dict[str, Any]:
    meta: dict[str, Any] = {"help": help}
    meta.update({k: v for k, v in bounds.items() if v is not None})
    return meta


def int_field(
    default: int | None,
    *,
    ge: int | None = None,
    gt: int | None = None,
    le: int | None = None,
    help: str = "",
) -> Any:
    """An integer setting (``None`` default means "derived when not given")."""
    return attrs.field(default=default, metadata=_meta(help, ge=ge, gt=gt, le=le))


def float_field(
    default: float | None,
    *,
    ge: float | None = None,
    gt: float | None = None,
    le: float | None = None,
    lt: float | None = None,
    help: str = "",
) -> Any:
    return attrs.field(default=default, metadata=_meta(help, ge=ge, gt=gt, le=le, lt=lt))


def str_field(
    default: str | None, *, choices: tuple[str, ...] | None = None, help: str = ""
) -> Any:
    return attrs.field(default=default, metadata=_meta(help, choices=choices))


def bool_field(default: bool, *, help: str = "") -> Any:
    return attrs.field(default=default, metadata=_meta(help))

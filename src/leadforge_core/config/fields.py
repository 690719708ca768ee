"""Field helpers for config models: a default, bounds and a help text kept as metadata.

Bounds are checked after structuring (``constraints.check``) so a violation is reported with
its dotted key and source line, like a type error. The help text (metadata key ``help``) is
the field's description in generated references (``docs/recipes-world.md``).
"""

from __future__ import annotations

from typing import Any

import attrs

__all__ = ["bool_field", "doc_field", "float_field", "int_field", "str_field"]


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
    """An integer setting with optional bounds.

    Args:
        default: the value when the setting is not given (``None``: derived by the scheme).
        ge, gt, le: inclusive lower, exclusive lower and inclusive upper bounds; a value
            outside them is a :class:`~leadforge_core.errors.ConfigError` naming the key.
        help: one line describing the setting.

    Returns:
        An ``attrs`` field for a class decorated with ``@attrs.define``.
    """
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
    """A float setting with optional bounds (like :func:`int_field`, plus ``lt``: an exclusive
    upper bound)."""
    return attrs.field(default=default, metadata=_meta(help, ge=ge, gt=gt, le=le, lt=lt))


def str_field(
    default: str | None, *, choices: tuple[str, ...] | None = None, help: str = ""
) -> Any:
    """A string setting; ``choices`` limits it to the values listed."""
    return attrs.field(default=default, metadata=_meta(help, choices=choices))


def bool_field(default: bool, *, help: str = "") -> Any:
    """A boolean setting."""
    return attrs.field(default=default, metadata=_meta(help))


def doc_field(help: str, *, default: Any = attrs.NOTHING, factory: Any = None) -> Any:
    """A field of any type with a description and no bounds (a name, a list, a mapping).

    Args:
        help: one line describing the field.
        default: the value when the field is not given (omit for a required field).
        factory: a function returning the default (for lists and mappings).

    Returns:
        An ``attrs`` field for a class decorated with ``@attrs.define``.
    """
    if factory is not None:
        return attrs.field(factory=factory, metadata=_meta(help))
    return attrs.field(default=default, metadata=_meta(help))

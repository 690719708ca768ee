"""A strict cattrs converter: no silent coercion, unknown keys rejected, errors by dotted key.

``3.7``, ``"12"`` and ``true`` are not integers; ``"1"`` is not a float; enums accept only
their values. Errors come back as ``(dotted_key, message)`` pairs so the caller can attach the
source line of each key.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any, TypeVar

import attrs
import cattrs
from cattrs.errors import (
    AttributeValidationNote,
    ClassValidationError,
    ForbiddenExtraKeysError,
    IterableValidationError,
    IterableValidationNote,
)

from leadforge_core.config import constraints
from leadforge_core.config.merge import deep_copy

T = TypeVar("T")


class ValueProblem(ValueError):
    """A single value of the wrong type or form."""


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return f"boolean {str(value).lower()}"
    if isinstance(value, int | float):
        return f"number {value!r}"
    if isinstance(value, str):
        return f"string {value!r}"
    if value is None:
        return "null"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return type(value).__name__


def _int(value: Any, _: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueProblem(f"expected an integer, got {_kind(value)}")
    return int(value)


def _float(value: Any, _: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueProblem(f"expected a number, got {_kind(value)}")
    return float(value)


def _str(value: Any, _: Any) -> str:
    if not isinstance(value, str):
        raise ValueProblem(f"expected a string, got {_kind(value)}")
    return str(value)


def _bool(value: Any, _: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueProblem(f"expected true or false, got {_kind(value)}")
    return value


def _enum(value: Any, cls: type[enum.Enum]) -> enum.Enum:
    for member in cls:
        if member.value == value and type(member.value) is type(value):
            return member
    valid = ", ".join(str(m.value) for m in cls)
    raise ValueProblem(f"expected one of {valid}, got {_kind(value)}")


def _date(value: Any, _: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        raise ValueProblem(f"expected a date (YYYY-MM-DD), got {value.isoformat()}")
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise ValueProblem(f"expected a date (YYYY-MM-DD), got {_kind(value)}")


def _mapping_check(value: Any, cls: type) -> None:
    if not isinstance(value, dict):
        raise ValueProblem(f"expected a mapping of {cls.__name__} settings, got {_kind(value)}")


def make_converter() -> cattrs.Converter:
    conv = cattrs.Converter(forbid_extra_keys=True, detailed_validation=True)
    for exact, hook in ((int, _int), (float, _float), (str, _str), (bool, _bool), (dt.date, _date)):
        conv.register_structure_hook(exact, hook)
    # StrEnum / IntEnum come before str / int in their MRO, so enums get the enum hook.
    for base in (enum.Enum, enum.StrEnum, enum.IntEnum):
        conv.register_structure_hook(base, _enum)
    conv.register_unstructure_hook(dt.date, lambda d: d.isoformat())
    conv.register_unstructure_hook_func(
        lambda t: isinstance(t, type) and issubclass(t, enum.Enum), lambda e: e.value
    )

    def attrs_hook_factory(cls: type) -> Any:
        attrs.resolve_types(cls)
        inner: Any = conv.gen_structure_attrs_fromdict(cls)

        def hook(value: Any, _: Any) -> Any:
            _mapping_check(value, cls)
            return inner(value, cls)

        return hook

    conv.register_structure_hook_factory(attrs.has, attrs_hook_factory)
    return conv


CONVERTER = make_converter()


def _flatten(exc: BaseException, path: tuple[str, ...]) -> list[tuple[str, str]]:
    if isinstance(exc, ForbiddenExtraKeysError):
        return [(".".join((*path, k)), "unknown key") for k in sorted(exc.extra_fields)]
    if isinstance(exc, ClassValidationError | IterableValidationError):
        out: list[tuple[str, str]] = []
        for sub in exc.exceptions:
            sub_path = path
            for note in getattr(sub, "__notes__", []):
                if isinstance(note, AttributeValidationNote):
                    sub_path = (*path, note.name)
                elif isinstance(note, IterableValidationNote):
                    sub_path = (*path, str(note.index))
            out += _flatten(sub, sub_path)
        return out
    if isinstance(exc, KeyError):
        return [(".".join(path), "required key missing")]
    message = str(exc) if isinstance(exc, ValueProblem) else f"invalid value ({exc})"
    return [(".".join(path), message)]


def _without(data: Any, keys: list[str], base: tuple[str, ...]) -> Any | None:
    """A copy of ``data`` without the entries at the dotted ``keys`` (``base``-prefixed; a key
    inside a list removes the whole list); ``None`` when none of them can be removed."""
    out = deep_copy(data)
    removed = False
    for dotted in keys:
        path = tuple(p for p in dotted.split(".") if p)[len(base) :]
        node = out
        for i, part in enumerate(path):
            if not isinstance(node, dict) or part not in node:
                break
            if i == len(path) - 1 or not isinstance(node[part], dict):
                del node[part]
                removed = True
                break
            node = node[part]
    return out if removed else None


#: Structuring passes: after a pass with type errors, the offending keys are left out and the
#: rest is structured again, so bound errors elsewhere are reported in the same run.
_PASSES = 4


def structure_strict(
    data: Any, cls: type[T], prefix: str = ""
) -> tuple[T | None, list[tuple[str, str]]]:
    """Structure ``data`` into ``cls``; return the object (or ``None``) and every problem.

    Problems are ``(dotted_key, message)`` with ``prefix`` prepended to every key. Type errors
    and unknown keys come first; bounds are checked on what could be structured, so a file
    with both kinds of mistakes reports both. The object is ``None`` when any value could not
    be structured.
    """
    base = tuple(p for p in prefix.split(".") if p)
    problems: list[tuple[str, str]] = []
    removed: set[str] = set()
    current = data
    for _ in range(_PASSES):
        try:
            obj = CONVERTER.structure(current, cls)
        except (
            ClassValidationError,
            IterableValidationError,
            ForbiddenExtraKeysError,
            ValueProblem,
        ) as exc:
            # a key left out after the previous pass is not also "missing"
            found = [
                (k, m)
                for k, m in _flatten(exc, base)
                if not (k in removed and m == "required key missing") and (k, m) not in problems
            ]
            problems += found
            pruned = _without(current, [k for k, _ in found], base) if found else None
            if pruned is None:
                return None, problems
            removed |= {k for k, _ in found}
            current = pruned
            continue
        except (TypeError, ValueError) as exc:
            return None, [*problems, (".".join(base), f"invalid value ({exc})")]
        bounds = [
            (".".join((*base, k)) if k else ".".join(base), m) for k, m in constraints.check(obj)
        ]
        return (None if problems else obj), problems + bounds
    return None, problems


def unstructure(obj: Any) -> Any:
    return CONVERTER.unstructure(obj)

"""Typed configuration: attrs models, a strict cattrs converter, line-aware YAML, precedence."""

from leadforge_core.config.fields import bool_field, float_field, int_field, str_field
from leadforge_core.config.structure import structure_strict

__all__ = ["bool_field", "float_field", "int_field", "str_field", "structure_strict"]

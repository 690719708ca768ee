"""A leadforge vertical for the lead-scoring scheme: Paystream, a B2B payments platform.

Everything it adds goes through leadforge's public hooks (see :mod:`.plugin`): a recipe, a
task feature, a validation check, a CLI command and an export format.
"""

__version__ = "0.1.0"

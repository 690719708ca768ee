"""Recipes: a scheme's vertical instantiation (narrative, vocabularies, profiles, defaults)."""

"""Bundle: the in-memory result of a run and its on-disk layout (SPEC §2.4)."""

"""World construction: population, hidden causal graph and its motif families."""

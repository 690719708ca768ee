"""Daily funnel simulation: compiled mechanisms, hazards and the vectorized engine."""

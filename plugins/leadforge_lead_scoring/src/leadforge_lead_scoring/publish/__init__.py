"""Publication: relational tables, public snapshot cut, metadata and dataset card."""

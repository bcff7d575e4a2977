"""Layer scale (being written)."""

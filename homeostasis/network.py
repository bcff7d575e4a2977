"""Network scale (being written)."""

"""Synapse scale (being written)."""

"""The pairing of biological mechanisms with deep-learning layers, read from the code.

Every :class:`homeostasis.Mechanism` declares its ``scale`` and ``counterpart``; every ANN
normalization layer in :mod:`homeostasis.ann` declares the same two attributes. :func:`pairs`
joins them, so the correspondence table is never kept by hand.

Examples
--------
>>> table = pairs()
>>> table["synapse"]["counterpart"]
'weight normalization'
"""
from __future__ import annotations

__all__ = ["pairs"]


def pairs() -> dict:
    """``scale -> {"counterpart", "bio": [mechanism classes], "ann": [layer classes]}``."""
    from homeostasis import SCALES, all_mechanisms
    from homeostasis import ann

    layers = [getattr(ann, name) for name in ann.__all__]
    layers = [c for c in layers if isinstance(c, type) and getattr(c, "scale", None)]
    table = {scale: {"counterpart": cp, "bio": [], "ann": []} for scale, cp in SCALES.items()}
    for m in all_mechanisms():
        table[m.scale]["bio"].append(m)
    for layer in layers:
        if layer.counterpart != SCALES[layer.scale]:
            raise TypeError(f"{layer.__name__} declares scale {layer.scale!r} but counterpart {layer.counterpart!r}")
        table[layer.scale]["ann"].append(layer)
    return table

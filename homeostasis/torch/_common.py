"""What every module of :mod:`homeostasis.torch` shares: argument checks taken from the numpy layers."""
from __future__ import annotations

import torch

from ..ann.validation import InstanceOf

#: ``device`` and ``dtype`` are checked by torch itself, with its own messages, where they are used.
TORCH_FACTORY = {"device": "no_validation", "dtype": "no_validation"}
#: A switch such as ``bias`` or ``affine``.
FLAG = InstanceOf(bool, "True or False")


def constraints_of(layer, *names) -> dict:
    """The constraints ``names`` of the numpy ``layer``: one set of checks, so one set of messages."""
    return {name: layer._parameter_constraints[name] for name in names}


def replace_buffer(module: torch.nn.Module, name: str, value: torch.Tensor):
    """Rebind buffer ``name`` to ``value`` in the buffer's dtype.

    A new tensor rather than an in-place write: a graph built by an earlier forward pass may
    hold the old value for its backward pass (as the numpy layers keep each pass's gain).
    """
    setattr(module, name, value.to(getattr(module, name).dtype))

"""What every module of :mod:`homeostasis.torch` shares: argument checks taken from the numpy layers,
and the read-outs of its networks."""
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


class Readouts:
    """``predict`` and ``hidden_activations`` of a network whose ``_hidden(x)`` yields the
    outputs it reports, in order."""

    @torch.no_grad()
    def predict(self, x: torch.Tensor, batch_size: int = 1000) -> torch.Tensor:
        """Predicted class per sample of ``x``, in evaluation mode (the mode is restored after)."""
        with _evaluating(self):
            return torch.cat([self(x[i:i + batch_size]).argmax(dim=1) for i in range(0, len(x), batch_size)])

    @torch.no_grad()
    def hidden_activations(self, x: torch.Tensor) -> list:
        """The hidden outputs of ``x`` (see the class), in evaluation mode (restored after)."""
        with _evaluating(self):
            return list(self._hidden(x))


class _evaluating:
    """Evaluation mode for the ``with`` block; the mode before is restored after."""

    def __init__(self, module: torch.nn.Module):
        self.module, self.was_training = module, module.training

    def __enter__(self):
        self.module.eval()

    def __exit__(self, *exc):
        self.module.train(self.was_training)


def replace_buffer(module: torch.nn.Module, name: str, value: torch.Tensor):
    """Rebind buffer ``name`` to ``value`` in the buffer's dtype.

    A new tensor rather than an in-place write: a graph built by an earlier forward pass may
    hold the old value for its backward pass (as the numpy layers keep each pass's gain).
    """
    setattr(module, name, value.to(getattr(module, name).dtype))

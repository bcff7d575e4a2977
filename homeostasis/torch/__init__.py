"""The bio-inspired normalizations as PyTorch modules, one per scale, for your own networks.

=========  ==========================================  ===========================  ======================
scale      module (file)                               biology                      deep-learning analogue
=========  ==========================================  ===========================  ======================
synapse    ``SynapticScalingLinear``, ``...Conv1d``,    synaptic scaling             weight normalization
           ``...Conv2d`` (``synapse.py``)
neuron     ``IntrinsicPlasticityNorm1d``, ``...2d``     intrinsic plasticity         batch normalization
           (``neuron.py``)
layer      ``DivisiveNorm`` (``layer.py``)              divisive normalization       layer normalization
network    ``GlobalHomeostasisNorm``, ``GlobalGain``    network homeostasis          self-normalization
           (``network.py``)
=========  ==========================================  ===========================  ======================

Each module computes what its numpy layer in :mod:`homeostasis.ann` computes (the same
equations, equal to 1e-10 in float64). The homeostatic state lives in buffers: it is updated
by the local rule in training-mode forward passes only, outside autograd, ``eval()`` freezes
it, and ``state_dict`` holds it. Arguments follow PyTorch's names (``num_features``,
``momentum``, ``eps``, ``device``, ``dtype``) and are checked as the numpy layers check them.

Needs the extra: ``pip install 'homeostasis[torch]'`` (see the install page for a GPU build).

Examples
--------
>>> import torch
>>> from homeostasis.torch import IntrinsicPlasticityNorm2d, SynapticScalingConv2d
>>> net = torch.nn.Sequential(SynapticScalingConv2d(1, 4, 3), torch.nn.ReLU(), IntrinsicPlasticityNorm2d(4))
>>> net(torch.zeros(2, 1, 8, 8)).shape
torch.Size([2, 4, 6, 6])
"""
try:
    import torch  # noqa: F401
except ImportError as err:  # the optional extra is missing
    raise ImportError("homeostasis.torch needs PyTorch, which is not installed: pip install 'homeostasis[torch]' "
                      "(docs/install.md says how to get a CPU or a GPU build)") from err

from .layer import DivisiveNorm
from .network import GlobalGain, GlobalHomeostasisNorm
from .neuron import IntrinsicPlasticityNorm1d, IntrinsicPlasticityNorm2d
from .synapse import SynapticScalingConv1d, SynapticScalingConv2d, SynapticScalingLinear

__all__ = ["SynapticScalingLinear", "SynapticScalingConv1d", "SynapticScalingConv2d", "IntrinsicPlasticityNorm1d",
           "IntrinsicPlasticityNorm2d", "DivisiveNorm", "GlobalGain", "GlobalHomeostasisNorm"]

"""``python -m homeostasis`` is the ``homeostasis`` command; ``python -m simulations`` too, from a checkout.

The import is absolute: run from the repository's root, ``python -m simulations`` finds this
folder as a top-level package ``simulations``, and a relative import would load a second copy
of the command whose registry holds none of the experiments (they register with
``homeostasis.simulations``).
"""
import sys

from homeostasis.simulations.cli import console

sys.exit(console())

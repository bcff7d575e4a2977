"""``python -m homeostasis`` is the ``homeostasis`` command."""
import sys

from homeostasis.simulations.cli import console

sys.exit(console())

"""``python -m simulations`` is the ``homeostasis`` command."""
import sys

from .cli import console

sys.exit(console())

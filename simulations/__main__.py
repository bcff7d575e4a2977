"""``python -m homeostasis`` is the ``homeostasis`` command."""
import sys

from .cli import console

sys.exit(console())

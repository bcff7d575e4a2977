"""``python -m simulations`` is the ``homeostasis`` command."""
import sys

from .cli import main

sys.exit(main())

"""``python -m lenet``: the command line (the same as the ``lenet`` command)."""

import sys

from lenet.cli import main

sys.exit(main())

"""``python -m comparisons.cli ARGS``: the ``landeg`` command line."""

import sys

from .commands import main

sys.exit(main())

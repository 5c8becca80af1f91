"""``python -m cem_bench.cli``: the same as the ``cem-bench`` command."""

import sys

from cem_bench.cli import main

sys.exit(main())

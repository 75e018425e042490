"""``python -m bioassay_mix.cli``, as the ``bioassay-mix`` command."""

import sys

from . import main

sys.exit(main())

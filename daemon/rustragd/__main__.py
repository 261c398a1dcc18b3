"""``python -m rustragd``."""

import sys

from rustragd.cli import main

sys.exit(main())

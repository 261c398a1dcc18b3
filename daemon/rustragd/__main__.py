"""``python -m rustragd``."""

import sys

from rustragd.server.cli import main

sys.exit(main())

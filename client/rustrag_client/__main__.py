"""``python -m rustrag_client``."""

import sys

from rustrag_client.cli import main

sys.exit(main())

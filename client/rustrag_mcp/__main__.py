"""``python -m rustrag_mcp``."""

import sys

from rustrag_mcp.server import main

sys.exit(main())

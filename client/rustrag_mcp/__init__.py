"""``rustrag-mcp``: rustragd's ops as MCP tools, for agents (see :mod:`rustrag_mcp.server`)."""

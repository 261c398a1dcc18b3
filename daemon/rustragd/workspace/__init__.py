"""Workspace: one registered workspace's state (store, symbol table, graph, indexes) and stats."""

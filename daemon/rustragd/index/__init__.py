"""Index: the bulk index job of a workspace and the worker pools it runs in."""

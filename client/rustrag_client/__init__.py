"""rustrag-client: a thin command-line client of rustragd (stdlib + msgpack only)."""

__version__ = "0.1.0"

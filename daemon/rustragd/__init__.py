"""rustragd: the rustrag daemon."""

__version__ = "0.1.0"

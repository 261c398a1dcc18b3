"""Where the daemon's socket, state and config live (shared by daemon and client).

Plain ``os.path`` strings: the client imports this on every run, and pathlib
and tempfile would double its start-up time.
"""

from __future__ import annotations

import os

SOCKET_NAME = "rustragd.sock"


def _temp_dir() -> str:
    for name in ("TMPDIR", "TEMP", "TMP"):
        value = os.environ.get(name)
        if value:
            return value
    return "/tmp"


def default_socket_path() -> str:
    """``$RUSTRAG_SOCKET``, else ``$XDG_RUNTIME_DIR/rustrag/rustragd.sock``, else a temp dir.

    The temp dir fallback is per user: ``$TMPDIR/rustrag-<uid>/``.
    """
    explicit = os.environ.get("RUSTRAG_SOCKET")
    if explicit:
        return explicit
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime:
        return os.path.join(runtime, "rustrag", SOCKET_NAME)
    return os.path.join(_temp_dir(), f"rustrag-{os.getuid()}", SOCKET_NAME)


def default_state_dir() -> str:
    """``$RUSTRAG_STATE_DIR``, else ``$XDG_STATE_HOME/rustrag``, else ``~/.local/state/rustrag``."""
    explicit = os.environ.get("RUSTRAG_STATE_DIR")
    if explicit:
        return explicit
    state_home = os.environ.get("XDG_STATE_HOME") or os.path.expanduser("~/.local/state")
    return os.path.join(state_home, "rustrag")


def default_config_path() -> str:
    """``$XDG_CONFIG_HOME/rustrag/config.yaml`` (``~/.config`` when unset)."""
    config_home = os.environ.get("XDG_CONFIG_HOME") or os.path.expanduser("~/.config")
    return os.path.join(config_home, "rustrag", "config.yaml")

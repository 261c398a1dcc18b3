"""Where the daemon's socket and state live (shared by daemon and client)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

SOCKET_NAME = "rustragd.sock"


def default_socket_path() -> Path:
    """``$RUSTRAG_SOCKET``, else ``$XDG_RUNTIME_DIR/rustrag/rustragd.sock``, else a per-uid temp dir."""
    explicit = os.environ.get("RUSTRAG_SOCKET")
    if explicit:
        return Path(explicit)
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime:
        return Path(runtime) / "rustrag" / SOCKET_NAME
    return Path(tempfile.gettempdir()) / f"rustrag-{os.getuid()}" / SOCKET_NAME


def default_state_dir() -> Path:
    """``$RUSTRAG_STATE_DIR``, else ``$XDG_STATE_HOME/rustrag``, else ``~/.local/state/rustrag``."""
    explicit = os.environ.get("RUSTRAG_STATE_DIR")
    if explicit:
        return Path(explicit)
    state_home = os.environ.get("XDG_STATE_HOME")
    base = Path(state_home) if state_home else Path.home() / ".local" / "state"
    return base / "rustrag"


def default_config_path() -> Path:
    """``$XDG_CONFIG_HOME/rustrag/config.yaml`` (``~/.config`` when unset)."""
    config_home = os.environ.get("XDG_CONFIG_HOME")
    base = Path(config_home) if config_home else Path.home() / ".config"
    return base / "rustrag" / "config.yaml"

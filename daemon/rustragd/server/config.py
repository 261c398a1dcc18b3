"""Daemon settings: defaults, then config.yaml, then environment, then flags."""

from __future__ import annotations

import os
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

import yaml
from rustrag_protocol import (
    DEFAULT_MAX_FRAME,
    default_config_path,
    default_socket_path,
    default_state_dir,
)

LOG_LEVELS = ("debug", "info", "warning", "error")


class ConfigError(Exception):
    """The configuration file or a setting is invalid."""


@dataclass(frozen=True, slots=True)
class Config:
    """Everything the daemon reads at start."""

    socket_path: Path
    state_dir: Path
    log_level: str = "info"
    max_frame: int = DEFAULT_MAX_FRAME
    workers: int = 0
    """Parser worker processes; 0 derives it from the machine."""
    files_per_batch: int = 0
    """Files per worker batch and store transaction; 0 derives it from the L3 cache size."""
    shutdown_timeout: float = 10.0
    watch: bool = True
    """Watch registered workspaces and apply changes as they are saved."""
    debounce_ms: int = 30
    """Longest time changes are gathered into one batch."""
    step_ms: int = 5
    """Quiet time that ends a batch early (also the watcher's polling period)."""
    embeddings: bool = True
    """Embed items for ``ask``; off, ``ask`` is lexical only."""
    embed_model_dir: Path | None = None
    """A directory with ``model.onnx`` and ``tokenizer.json``; None: all-MiniLM-L6-v2 int8."""
    embed_max_tokens: int = 128
    embed_batch: int = 32
    embed_pooling: str = "mean"
    embed_query_prefix: str = ""
    embed_document_prefix: str = ""
    embed_recipe: str = "header_doc"
    dependencies: bool = True
    """Resolve names into the workspace's dependencies and std (their interfaces are
    built once per crate version into ``library_cache``); off, names stop at the
    workspace."""
    library_cache: Path | None = None
    """Where library interfaces are kept; None: ``$XDG_CACHE_HOME/rustrag/libraries``."""
    cluster: str = ""
    """A Ray cluster for cold index jobs (``auto`` or ``host:port``); "": the local pools."""
    cluster_idle_s: float = 60.0
    """Seconds the connection to a cluster (its driver process, the embedder actors) is
    kept after a job and its vectors are done."""
    store_write_buffer_mb: int = 8
    """The size of a workspace store's RocksDB memtable; the store holds up to about four."""
    query_timeout_s: float = 5.0
    """The longest a ``query`` script runs before it is stopped."""
    query_max_rows: int = 10_000
    """The most rows a ``query`` answers (``truncated`` says when there were more)."""
    ask_trait_impl_weight: float = 0.3
    """What ``ask`` keeps of the score of a trait impl's member (1: all of it)."""
    ask_test_weight: float = 0.5
    """What ``ask`` keeps of the score of test code (1: all of it)."""
    embed_dependencies: bool = False
    """Embed dependencies' and std's items for ``ask``: only false is supported (library
    graphs keep interfaces, not bodies); ``true`` is refused."""

    def libraries_dir(self) -> Path | None:
        """The library cache in use, or None when dependencies are off."""
        if not self.dependencies:
            return None
        if self.library_cache is not None:
            return self.library_cache
        base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
        return Path(base) / "rustrag" / "libraries"

    @classmethod
    def load(
        cls, config_path: Path | None = None, overrides: dict[str, Any] | None = None
    ) -> Config:
        """Build the config: defaults < ``config.yaml`` < ``RUSTRAG_*`` env < ``overrides``."""
        config = cls(socket_path=Path(default_socket_path()), state_dir=Path(default_state_dir()))
        path = config_path or Path(os.environ.get("RUSTRAG_CONFIG", default_config_path()))
        if path.is_file():
            config = config.merged(_read_yaml(path), source=str(path))
        elif config_path is not None:
            raise ConfigError(f"config file {config_path} does not exist")
        env = {
            "log_level": os.environ.get("RUSTRAG_LOG_LEVEL"),
            "workers": os.environ.get("RUSTRAG_WORKERS"),
            "embeddings": os.environ.get("RUSTRAG_EMBEDDINGS"),
            "watch": os.environ.get("RUSTRAG_WATCH"),
            "dependencies": os.environ.get("RUSTRAG_DEPENDENCIES"),
            "cluster": os.environ.get("RUSTRAG_CLUSTER"),
        }
        config = config.merged({k: v for k, v in env.items() if v}, source="environment")
        return config.merged({k: v for k, v in (overrides or {}).items() if v is not None}, "flags")

    def merged(self, values: dict[str, Any], source: str) -> Config:
        """A copy with ``values`` applied, each converted to its field's type."""
        known = {f.name: f for f in fields(self)}
        changes: dict[str, Any] = {}
        for key, value in values.items():
            name = key.replace("-", "_")
            if name not in known:
                raise ConfigError(f"{source}: unknown setting {key!r}")
            changes[name] = _convert(name, value, source)
        return replace(self, **changes)


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of settings")
    return data


def _flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).lower()
    if text not in ("1", "0", "true", "false", "yes", "no", "on", "off"):
        raise ValueError("must be true or false")
    return text in ("1", "true", "yes", "on")


def _convert(name: str, value: Any, source: str) -> Any:
    try:
        if name in ("socket_path", "state_dir", "embed_model_dir", "library_cache"):
            return Path(os.path.expanduser(str(value)))
        if name in ("embeddings", "watch", "dependencies", "embed_dependencies"):
            flag = _flag(value)
            if name == "embed_dependencies" and flag:
                raise ValueError("not supported: dependencies and std are not embedded")
            return flag
        if name == "embed_pooling" and value not in ("mean", "cls"):
            raise ValueError("must be mean or cls")
        if name == "embed_recipe":
            from rustragd.search.embed_text import RECIPES

            if value not in RECIPES:
                raise ValueError(f"must be one of {', '.join(RECIPES)}")
            return str(value)
        if name in (
            "max_frame",
            "workers",
            "files_per_batch",
            "embed_max_tokens",
            "embed_batch",
            "debounce_ms",
            "step_ms",
        ):
            number = int(value)
            if number < 0:
                raise ValueError("must not be negative")
            return number
        if name in ("query_max_rows", "query_timeout_s", "store_write_buffer_mb"):
            bound: float = float(value) if name == "query_timeout_s" else int(value)
            if not bound > 0:
                raise ValueError("must be positive")
            return bound
        if name in ("ask_trait_impl_weight", "ask_test_weight"):
            weight = float(value)
            if not 0.0 <= weight <= 1.0:
                raise ValueError("must be between 0 and 1")
            return weight
        if name == "cluster_idle_s":
            seconds = float(value)
            if not seconds >= 0:
                raise ValueError("must not be negative")
            return seconds
        if name == "shutdown_timeout":
            return float(value)
        if name == "log_level":
            level = str(value).lower()
            if level not in LOG_LEVELS:
                raise ValueError(f"must be one of {', '.join(LOG_LEVELS)}")
            return level
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{source}: bad value {value!r} for {name}: {exc}") from exc
    return value

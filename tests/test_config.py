"""The daemon's settings: config.yaml, the environment, and what is refused."""

from __future__ import annotations

from pathlib import Path

import pytest
from rustragd.server.config import Config, ConfigError


def test_settings_come_from_the_file_then_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(f"dependencies: off\nlibrary_cache: {tmp_path}/libs\nembed-batch: 8\n")
    config = Config.load(path)
    assert (config.dependencies, config.embed_batch) == (False, 8)
    assert config.libraries_dir() is None  # dependencies off: no library cache
    assert config.embed_dependencies is False
    monkeypatch.setenv("RUSTRAG_DEPENDENCIES", "1")
    config = Config.load(path)
    assert config.dependencies is True
    assert config.libraries_dir() == tmp_path / "libs"


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("embed_dependencies: true", "not supported"),
        ("dependencies: maybe", "must be true or false"),
        ("dependency: true", "unknown setting 'dependency'"),
        ("store_write_buffer_mb: 0", "must be positive"),
    ],
)
def test_bad_settings_are_refused_with_the_reason(
    tmp_path: Path, setting: str, message: str
) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(setting + "\n")
    with pytest.raises(ConfigError, match=message):
        Config.load(path)

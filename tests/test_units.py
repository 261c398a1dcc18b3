"""The systemd unit files and their installation for the user."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from rustragd.server import units

REPO = Path(__file__).resolve().parent.parent
SYSTEMD_DIR = REPO / "systemd"
PACKAGE_UNITS_DIR = REPO / "daemon" / "rustragd" / "server" / "unit_files"


def parse_unit(text: str) -> dict[str, dict[str, list[str]]]:
    """Sections of a unit file: ``{section: {key: [values...]}}`` (keys may repeat)."""
    sections: dict[str, dict[str, list[str]]] = {}
    current: dict[str, list[str]] | None = None
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], {})
            continue
        key, sep, value = line.partition("=")
        assert sep and current is not None, f"line {number} is not key=value in a section: {raw!r}"
        assert key.strip() == key and key, f"line {number}: bad key {key!r}"
        current.setdefault(key, []).append(value.strip())
    return sections


def test_package_units_match_systemd_folder() -> None:
    """``daemon/rustragd/units/`` is a byte-identical copy of ``systemd/``.

    Edit ``systemd/``, then ``cp systemd/rustragd.* daemon/rustragd/units/``.
    """
    for name in units.UNIT_NAMES:
        assert (PACKAGE_UNITS_DIR / name).read_bytes() == (SYSTEMD_DIR / name).read_bytes(), name
    shipped = sorted(p.name for p in PACKAGE_UNITS_DIR.iterdir() if not p.name.startswith("."))
    assert shipped == sorted(units.UNIT_NAMES)


def test_unit_text_comes_from_the_package() -> None:
    for name in units.UNIT_NAMES:
        assert units.unit_text(name) == (SYSTEMD_DIR / name).read_text(encoding="utf-8")
    with pytest.raises(ValueError):
        units.unit_text("other.service")


def test_service_unit_keys() -> None:
    text = (SYSTEMD_DIR / "rustragd.service").read_text(encoding="utf-8")
    assert text.count(units.PLACEHOLDER) == 1
    unit = parse_unit(text)
    service = unit["Service"]
    assert service["Type"] == ["notify"]
    assert service["Restart"] == ["on-failure"]
    # rustragd.server.cli: config, already running
    assert service["RestartPreventExitStatus"] == ["2 3"]
    assert service["ExecStart"][0].startswith(units.PLACEHOLDER)
    assert service["NoNewPrivileges"] == ["yes"]
    assert "TimeoutStopSec" in service
    assert unit["Unit"]["Requires"] == ["rustragd.socket"]
    assert unit["Install"]["WantedBy"] == ["default.target"]


def test_socket_unit_keys() -> None:
    text = (SYSTEMD_DIR / "rustragd.socket").read_text(encoding="utf-8")
    assert units.PLACEHOLDER not in text
    sock = parse_unit(text)["Socket"]
    assert sock["ListenStream"] == ["%t/rustrag/rustragd.sock"]
    assert sock["SocketMode"] == ["0600"]
    assert sock["DirectoryMode"] == ["0700"]
    assert parse_unit(text)["Install"]["WantedBy"] == ["sockets.target"]


def test_install_units_substitutes_the_executable(tmp_path: Path) -> None:
    target = tmp_path / "systemd" / "user"
    written = units.install_units(target, executable="/opt/rr/bin/rustragd")
    assert written == [target / "rustragd.service", target / "rustragd.socket"]
    for path in written:
        expected = (SYSTEMD_DIR / path.name).read_text(encoding="utf-8")
        expected = expected.replace(units.PLACEHOLDER, "/opt/rr/bin/rustragd")
        assert path.read_text(encoding="utf-8") == expected
        assert path.stat().st_mode & 0o777 == 0o644
    service = parse_unit(written[0].read_text(encoding="utf-8"))["Service"]
    assert service["ExecStart"] == ["/opt/rr/bin/rustragd run"]
    assert sorted(p.name for p in target.iterdir()) == ["rustragd.service", "rustragd.socket"]


def test_install_units_overwrites_and_uninstalls(tmp_path: Path) -> None:
    units.install_units(tmp_path, executable="/old/rustragd")
    units.install_units(tmp_path, executable="/new/rustragd")
    assert "/new/rustragd run" in (tmp_path / "rustragd.service").read_text(encoding="utf-8")
    assert "/old/" not in (tmp_path / "rustragd.service").read_text(encoding="utf-8")
    assert units.uninstall_units(tmp_path) == [
        tmp_path / "rustragd.service",
        tmp_path / "rustragd.socket",
    ]
    assert list(tmp_path.iterdir()) == []
    assert units.uninstall_units(tmp_path) == []


def test_install_units_quotes_awkward_paths(tmp_path: Path) -> None:
    units.install_units(tmp_path, executable="/home/a b/100%/$venv/bin/rustragd")
    service = parse_unit((tmp_path / "rustragd.service").read_text(encoding="utf-8"))["Service"]
    assert service["ExecStart"] == ['"/home/a b/100%%/$$venv/bin/rustragd" run']


def test_install_units_default_dir_and_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    written = units.install_units()
    assert written[0] == tmp_path / "systemd" / "user" / "rustragd.service"
    exec_start = parse_unit(written[0].read_text(encoding="utf-8"))["Service"]["ExecStart"][0]
    command = units.default_command()
    assert os.path.isabs(command[0])
    assert exec_start == " ".join(command) + " run"
    if command[1:] == ["-m", "rustragd"]:
        assert command[0] == os.path.abspath(sys.executable)
    else:
        assert command == [command[0]] and Path(command[0]).name == "rustragd"
        assert os.access(command[0], os.X_OK)


def test_default_unit_dir_without_xdg(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    assert units.default_unit_dir() == Path.home() / ".config" / "systemd" / "user"
    monkeypatch.setenv("XDG_CONFIG_HOME", "relative/ignored")
    assert units.default_unit_dir() == Path.home() / ".config" / "systemd" / "user"


def test_install_units_rejects_unknown_program(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        units.install_units(tmp_path, executable="no-such-rustragd-program-xyz")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="needs systemd-analyze")
def test_installed_units_verify(tmp_path: Path) -> None:
    """``systemd-analyze verify`` accepts the installed units (syntax and keys)."""
    program = tmp_path / "bin" / "rustragd"
    program.parent.mkdir()
    program.write_text("#!/bin/sh\n", encoding="utf-8")
    program.chmod(0o755)
    target = tmp_path / "units"
    written = units.install_units(target, executable=str(program))
    runtime = tmp_path / "run"
    runtime.mkdir(mode=0o700)
    result = subprocess.run(
        ["systemd-analyze", "--user", "--man=no", "verify", *map(str, written)],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "XDG_RUNTIME_DIR": str(runtime), "SYSTEMD_LOG_LEVEL": "warning"},
    )
    output = result.stdout + result.stderr
    if "Failed to initialize manager" in output:
        pytest.skip(f"systemd-analyze cannot run here: {output.strip()}")
    assert result.returncode == 0, output
    assert [line for line in output.splitlines() if str(target) in line] == [], output

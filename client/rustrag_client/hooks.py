"""Git hooks that tell the daemon about checkouts, merges, rewrites and commits.

Each hook runs any hook that was there before (kept as ``<hook>.rustrag-chained``),
then asks the daemon, in the background and silently, to re-check the
repository; it never starts a daemon and never slows git down.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys

HOOKS = ("post-checkout", "post-merge", "post-rewrite", "post-commit")
MARKER = "# installed by rustrag-client hooks install"
CHAINED = ".rustrag-chained"

_TEMPLATE = """#!/bin/sh
{marker}
chained="$0{chained}"
status=0
if [ -x "$chained" ]; then
    "$chained" "$@"
    status=$?
fi
{client} reindex --no-wait --no-start --timeout 0.5 \\
    --root "$(git rev-parse --show-toplevel)" >/dev/null 2>&1 </dev/null &
exit $status
"""


class HookError(Exception):
    """The repository cannot take the hooks."""


def _hooks_dir(repo: str) -> str:
    try:
        done = subprocess.run(
            ["git", "-C", repo, "rev-parse", "--git-path", "hooks"],
            capture_output=True,
            text=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError) as exc:
        raise HookError(f"{repo} is not a git repository") from exc
    path = done.stdout.strip()
    return path if os.path.isabs(path) else os.path.join(repo, path)


def _ours(path: str) -> bool:
    try:
        with open(path, encoding="utf-8", errors="replace") as stream:
            return MARKER in stream.read(4096)
    except OSError:
        return False


def install(repo: str) -> list[str]:
    """Install the hooks, keeping existing ones chained; returns what was done."""
    directory = _hooks_dir(repo)
    os.makedirs(directory, exist_ok=True)
    client = f"{shlex.quote(sys.executable)} -m rustrag_client"
    done = []
    for name in HOOKS:
        path = os.path.join(directory, name)
        if os.path.exists(path) and not _ours(path):
            os.replace(path, path + CHAINED)
            done.append(f"kept the existing {name} hook as {name}{CHAINED}")
        with open(path, "w", encoding="utf-8") as stream:
            stream.write(_TEMPLATE.format(marker=MARKER, chained=CHAINED, client=client))
        os.chmod(path, 0o755)
        done.append(f"installed {path}")
    return done


def uninstall(repo: str) -> list[str]:
    """Remove our hooks and put chained ones back; returns what was done."""
    directory = _hooks_dir(repo)
    done = []
    for name in HOOKS:
        path = os.path.join(directory, name)
        if _ours(path):
            os.remove(path)
            done.append(f"removed {path}")
            if os.path.exists(path + CHAINED):
                os.replace(path + CHAINED, path)
                done.append(f"restored the earlier {name} hook")
    return done

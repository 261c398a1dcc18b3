"""The daemon's heap settings reach the processes it starts."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

CHILD_SEES = (
    "import subprocess, sys\n"
    "from rustragd.heap import limit_arenas\n"
    "limit_arenas()\n"
    "child = 'import os; print(os.environ.get(\"MALLOC_ARENA_MAX\"))'\n"
    "print(subprocess.run([sys.executable, '-c', child], capture_output=True, text=True).stdout)\n"
)


@pytest.mark.parametrize(("given", "seen"), [(None, "2"), ("5", "5")])
def test_arena_limit_reaches_child_processes_unless_the_environment_sets_one(
    given: str | None, seen: str
) -> None:
    env = {k: v for k, v in os.environ.items() if k != "MALLOC_ARENA_MAX"}
    if given is not None:
        env["MALLOC_ARENA_MAX"] = given
    done = subprocess.run(
        [sys.executable, "-c", CHILD_SEES], env=env, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == seen

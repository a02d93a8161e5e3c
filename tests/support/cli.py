"""The ``clickstream`` command run in this process, as a user's shell runs it.

It goes through :func:`clickstream.cli.main`, the installed command's entry point, so a test sees what a
user sees: exit 2 and click's message for a usage error, one line and a hint for a bad config, the exit
code of a failed step. It runs in-process (with Typer's test runner capturing the output) because
starting an interpreter per call costs more than most commands; tests where a real process is the point
(serving a port, signals, a fresh install) start one themselves.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from unittest import mock

from typer.testing import CliRunner

from clickstream.cli import main


@dataclass(frozen=True)
class CliResult:
    """What the command printed and how it exited (the fields ``subprocess.CompletedProcess`` has)."""

    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str


def clickstream(*args: str, cwd: Path, env: Mapping[str, str | None] | None = None) -> CliResult:
    """``clickstream ARGS`` in the folder ``cwd``; ``env`` adds (or, with None, removes) variables."""
    with (
        contextlib.chdir(cwd),
        mock.patch.object(sys, "argv", ["clickstream", *args]),
        CliRunner().isolation(env=env) as (stdout, stderr, _),
    ):
        try:
            main()
            returncode = 0
        except SystemExit as exit_:
            returncode = _exit_code(exit_.code)
        # the captured text is read before the runner's isolation gives the real streams back
        out, err = stdout.getvalue().decode(), stderr.getvalue().decode()
    return CliResult(args, returncode, out, err)


def _exit_code(code: str | int | None) -> int:
    """The process's exit status for ``SystemExit(code)``: None is success, a message is failure."""
    if code is None:
        return 0
    return code if isinstance(code, int) else 1

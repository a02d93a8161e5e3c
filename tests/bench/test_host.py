"""The host line every benchmark prints beside its table (bench/host.py)."""

from __future__ import annotations

import platform
import sys

from bench.host import describe, interpreter, loop_rate


def test_the_interpreter_line_names_the_version_the_executable_and_how_libpython_is_linked() -> None:
    line = interpreter()
    assert line.startswith(f"{platform.python_implementation()} {platform.python_version()} ")
    assert sys.executable in line
    assert line.endswith(("shared libpython)", "static libpython)"))


def test_the_loop_rate_counts_iterations_in_millions_per_second() -> None:
    rate = loop_rate(0.05)
    assert 0.1 < rate < 1_000  # a bytecode loop runs a few million times a second, on any machine


def test_the_host_line_gives_the_loop_rate_at_both_ends_of_the_run() -> None:
    line = describe(6.54, 8.61)
    assert "bytecode loop 6.5 M/s at the start, 8.6 M/s at the end" in line
    assert interpreter() in line

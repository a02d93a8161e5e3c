"""The host line every benchmark prints beside its table (bench/host.py)."""

from __future__ import annotations

import os
import platform
import sys

from bench.host import describe, interpreter


def test_the_interpreter_line_names_the_version_the_executable_and_how_libpython_is_linked() -> None:
    line = interpreter()
    assert line.startswith(f"{platform.python_implementation()} {platform.python_version()} ")
    assert sys.executable in line
    assert line.endswith(("shared libpython)", "static libpython)"))


def test_the_host_line_gives_the_machine_the_cores_and_the_interpreter() -> None:
    assert describe() == f"{platform.machine()}, {os.cpu_count()} cores; {interpreter()}"

"""What a benchmark ran on, printed beside its table so runs at different times can be compared.

On a shared virtual machine the same code's speed drifts by 20-30 % from minute to minute (the host's
other tenants), and the interpreter's build matters as much: a CPython built without profile-guided
optimisation and link-time optimisation (pyenv's default) runs bytecode about a third slower than a
distribution's or the official Docker image's build. So every run records the interpreter and the
rate of a plain bytecode loop at its start and end; compare results only at similar loop rates.
"""

from __future__ import annotations

import os
import platform
import sys
import sysconfig
import time

LOOP_PROBE_SECONDS = 0.5


def interpreter() -> str:
    """The interpreter's implementation, version, path, and whether it runs on a shared libpython."""
    return f"{platform.python_implementation()} {platform.python_version()} ({sys.executable}, {_libpython()})"


def _libpython() -> str:
    """Whether this process maps a shared libpython (slower calls than a static build), from /proc on
    Linux: the build's own config says "shared" for Debian's static /usr/bin/python3 too."""
    try:
        with open("/proc/self/maps") as maps:
            return "shared libpython" if any("libpython" in line for line in maps) else "static libpython"
    except OSError:
        return "shared libpython" if sysconfig.get_config_var("Py_ENABLE_SHARED") else "static libpython"


def loop_rate(seconds: float = LOOP_PROBE_SECONDS) -> float:
    """Millions of iterations per second of a plain bytecode loop: the host's current speed for Python."""
    count = 0
    deadline = time.perf_counter() + seconds
    started = time.perf_counter()
    while time.perf_counter() < deadline:
        count += 1
    return count / (time.perf_counter() - started) / 1e6


def describe(start_rate: float, end_rate: float) -> str:
    """One line for a benchmark's output: machine, cores, interpreter, loop rate at start and end."""
    return (
        f"{platform.machine()}, {os.cpu_count()} cores; {interpreter()}; "
        f"bytecode loop {start_rate:.1f} M/s at the start, {end_rate:.1f} M/s at the end"
    )

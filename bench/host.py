"""What a benchmark ran on, printed beside its table: the machine and the interpreter's build.

The interpreter's build moves every number here: on this project's 2-core VM, pyenv's CPython (built
without profile-guided and link-time optimisation, on a shared libpython) ran a bytecode loop markedly
slower than Debian's static, optimised build (see docs/performance.md#figures-behind-code-comments; the
official Docker images are optimised builds too), so results are comparable only between runs on the same interpreter.
"""

from __future__ import annotations

import os
import platform
import sys
import sysconfig


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


def describe() -> str:
    """One line for a benchmark's output: machine, cores and interpreter."""
    return f"{platform.machine()}, {os.cpu_count()} cores; {interpreter()}"

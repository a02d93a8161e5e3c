"""The console every benchmark prints through: wide enough for its table when the output is a file.

Rich lays a table out for the terminal's width, and for 80 columns when the output is a pipe or a file
(``make bench > log``, CI logs), where the benchmark tables wrap into cells cut with "…". Output that
is not a terminal gets ``FILE_WIDTH`` columns instead, unless ``COLUMNS`` says otherwise.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from rich.console import Console

FILE_WIDTH = 200


def wide_console(**options: Any) -> Console:
    """A Rich console (``options`` as for :class:`rich.console.Console`) that does not wrap tables in files."""
    stream = sys.stderr if options.get("stderr") else sys.stdout
    if "width" not in options and not stream.isatty() and not os.environ.get("COLUMNS"):
        options["width"] = FILE_WIDTH
    return Console(**options)

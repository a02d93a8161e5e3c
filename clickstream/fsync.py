"""Making file-system changes durable: fsync of files and of the folders that name them."""

from __future__ import annotations

import os
from pathlib import Path


def fsync_directory(directory: Path | str) -> None:
    """Persist the entries of ``directory`` (creations, renames, deletions) across a power loss."""
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)

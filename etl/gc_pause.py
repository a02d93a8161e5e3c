"""Python's cyclic garbage collector paused while an input is processed.

The ETL allocates millions of small containers per input (parsed events, row lists, value tuples) and
makes no reference cycles, so every automatic collection is wasted work; worse, each one walks all the
rows a chunk holds alive, which made collections the largest single cost of the ETL's CPU (decision 29,
docs/performance.md#decision-29). Pausing them for one input at a time bounds what could wait for a collection to what
that input allocates, and the collector runs as usual once it is resumed.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    """Disable automatic garbage collection inside the block; restore the previous state after it.

    Nested uses are fine: only the outermost one that disabled collection enables it again.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()

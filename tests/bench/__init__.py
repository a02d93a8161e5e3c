"""Tests of the benchmark scripts' own logic; :func:`load_script` imports a script under bench/ by path."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

BENCH = Path(__file__).resolve().parents[2] / "bench"


def load_script(file_name: str) -> ModuleType:
    """The script ``bench/<file_name>`` as a module named ``bench_<stem>`` (``bench/etl.py`` would shadow
    the ``etl`` package under its own name)."""
    path = BENCH / file_name
    spec = importlib.util.spec_from_file_location(f"bench_{path.stem}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is made
    spec.loader.exec_module(module)
    return module

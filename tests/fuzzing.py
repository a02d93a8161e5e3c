"""The fuzz targets' runner moved to ``tests.support.fuzzing``; ``bench/fuzz.py`` still imports it from here.

Delete this module once ``bench/fuzz.py`` imports ``tests.support.fuzzing``.
"""

from tests.support.fuzzing import FuzzRun, FuzzTarget, run_for

__all__ = ["FuzzRun", "FuzzTarget", "run_for"]

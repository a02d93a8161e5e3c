"""ETL: raw records -> the data model (``event_v2``, ``item_v2``, ``user_v2``) as Parquet.

Pure functions do the work (decode, transform, split into tables); runners only move data, so a
local process pool and a Spark job can share them. Records that cannot become rows are written to
``rejected/<reason>/`` with the payload: nothing is silently dropped.

Public API, for the CLI, the pipeline and the benchmarks (the modules behind it may move):

* :class:`EtlJob`: what one run transforms, with which settings and plugins;
* :func:`run_etl` and :class:`EtlResult`: transform the pending raw files with a local process pool;
* :func:`run_spark_etl` and :func:`spark_session`: the same on Spark.

Each name is imported on first use, so importing the package loads none of its modules (pyspark and
pyarrow stay out of a command that does not transform).
"""

from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from etl.process import EtlJob
    from etl.runner import EtlResult, run_etl
    from etl.spark_runner import run_spark_etl, spark_session

__all__ = ["EtlJob", "EtlResult", "run_etl", "run_spark_etl", "spark_session"]

_HOMES = {
    "EtlJob": "etl.process",
    "EtlResult": "etl.runner",
    "run_etl": "etl.runner",
    "run_spark_etl": "etl.spark_runner",
    "spark_session": "etl.spark_runner",
}


def __getattr__(name: str) -> object:
    if name not in _HOMES:  # submodules too (``from etl import native``): the import system then loads them
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(_HOMES[name]), name)

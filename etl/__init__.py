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

from typing import TYPE_CHECKING

from clickstream.exports import lazy_exports

if TYPE_CHECKING:
    from clickstream.etl.process import EtlJob
    from clickstream.etl.runner import EtlResult, run_etl
    from clickstream.etl.spark_runner import run_spark_etl, spark_session

__all__ = ["EtlJob", "EtlResult", "run_etl", "run_spark_etl", "spark_session"]

__getattr__ = lazy_exports(
    __name__,
    {
        "clickstream.etl.process": "EtlJob",
        "clickstream.etl.runner": "EtlResult run_etl",
        "clickstream.etl.spark_runner": "run_spark_etl spark_session",
    },
)

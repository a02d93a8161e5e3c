"""ETL: raw records -> the data model (``event_v2``, ``item_v2``, ``user_v2``) as Parquet.

Pure functions do the work (decode, transform, split into tables); runners only move data, so a
local process pool and a Spark job can share them. Records that cannot become rows are written to
``rejected/<reason>/`` with the payload: nothing is silently dropped.
"""

"""Ingestion: the SDK-compatible HTTP collector.

Requests become raw records (``clickstream.contract.RAW_RECORD_FIELDS``) appended to a write-ahead log
on local disk; a request is answered 200 only after its record is fsync'd. A shipper moves sealed log
segments to the sink as gzip JSON-lines files under ``raw/year=/month=/day=/hour=/``.
"""

"""Loader: processed Parquet -> warehouse tables, each file exactly once.

The warehouse itself keeps a ledger of loaded files, written in the same transaction as the rows,
so a crash at any point followed by a re-run leaves every row exactly once.
"""

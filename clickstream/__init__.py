"""Shared core of the clickstream platform: configuration, the data-model contract and storage.

Every stage (ingestion, etl, loader, dbt, dashboards, studio) imports only this package and its own
modules; the stages meet through the files and tables this package documents.
"""

__version__ = "0.1.0"

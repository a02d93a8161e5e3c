"""Helpers the tests import: plain functions and classes by topic. Fixtures stay in the conftest files.

- ``paths``: the repository, the seed files and the shared reference.
- ``config``: configs rooted in a temporary folder; ``etl``: ETL jobs with a fixed process time.
- ``data``: the seed fixtures and the raw events a collector wrote.
- ``loopback``: free ports and small HTTP servers on loopback.
- ``collector``: a live collector in a thread; ``serve``: ``clickstream serve`` as a process.
- ``aws``: moto's server and credentials that cannot reach a real account.
- ``cli``: the ``clickstream`` command run in-process, as a user's shell runs it.
- ``sinks``: raw records and sealed segments for the sink tests; ``studio``: a signed-in Studio client.
- ``browser``: headless chromium (a pytest plugin: the ``browser`` fixture); ``fuzzing``: fuzz targets.
"""

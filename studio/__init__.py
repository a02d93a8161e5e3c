"""Analytics Studio: event, funnel, path, retention and attribution analyses without writing SQL.

`clickstream studio` serves the API (OpenAPI at /docs), the pages and the vendored ECharts. Queries run
on a read-only serving snapshot that each pipeline cycle publishes (see studio/snapshot.py), so the
Studio never contends with the cycle for the warehouse file.
"""

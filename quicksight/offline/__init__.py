"""The offline room: each visual's rows from DuckDB (``extract.py``), the self-contained HTML page and
its ``assets/`` (``page.py``), and ``clickstream dashboards render`` (``render.py``).

It reads the spec and never imports the QuickSight publisher.
"""

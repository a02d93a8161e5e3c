"""The spec room: the dashboards' model and loading (``model.py``, ``load.py``), the YAML they read
(``specs/``, package data), and the dbt exposures generated from it (``exposures.py``).

Both outputs read the spec; the spec imports neither.
"""

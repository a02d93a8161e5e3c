"""The QuickSight room: the API ``Definition`` of each dashboard (``definition.py``) and the idempotent
create-or-update calls of ``clickstream dashboards publish`` (``publish.py``).

It reads the spec and never imports the offline renderer.
"""

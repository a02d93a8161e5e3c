"""Dashboards from one spec: published to QuickSight, rendered offline as self-contained HTML."""

"""Live state: what operators and analysts change while the stack runs, in the Studio's database.

Apps (and their timezones and allowed origins), users and their roles, saved dashboards, the pipeline's run
history and the audit log of every change live in one SQL database:
SQLite under ``<home>/studio/studio.db`` by default, PostgreSQL when ``studio.database_url`` names one.
``clickstream.yml`` seeds it and stays enough on its own: with no database, the apps are the config's.
The collector, the pipeline and the Studio read the same rows through :func:`live_apps`.
"""

from clickstream.state.apps import AppRecord, AppStore, LiveApps, live_apps
from clickstream.state.audit import AuditLog, AuditRecord
from clickstream.state.dashboards import DashboardStore, SavedDashboard
from clickstream.state.database import database_url, open_engine
from clickstream.state.runs import Cycle, RunHistory
from clickstream.state.users import ROLES, RoleMapping, UserRecord, UserStore

__all__ = [
    "ROLES", "AppRecord", "AppStore", "AuditLog", "AuditRecord", "Cycle", "DashboardStore", "LiveApps", "RoleMapping",
    "RunHistory", "SavedDashboard", "UserRecord", "UserStore", "database_url", "live_apps", "open_engine",
]  # fmt: skip

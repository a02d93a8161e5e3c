"""The dashboards analysts can open: rendered offline dashboards and, once published, QuickSight ones.

The dashboards stage writes ``<home>/dashboards/rendered.json`` (files beside it) and, after a QuickSight
publish, ``<home>/dashboards/quicksight.json``. A QuickSight dashboard opens through an embed URL the
Studio asks QuickSight for (GenerateEmbedUrlForRegisteredUser) for the configured QuickSight user.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from clickstream.config import StudioConfig

RENDERED = "rendered.json"
QUICKSIGHT = "quicksight.json"


class DashboardError(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass(frozen=True)
class Dashboard:
    id: str
    title: str
    app_id: str
    kind: str  # "rendered" or "quicksight"
    file: str | None = None
    rendered_at: str | None = None
    arn: str | None = None

    def public(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "appId": self.app_id, "kind": self.kind,
                "renderedAt": self.rendered_at}  # fmt: skip


def _read(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise DashboardError(500, f"{path} is not readable JSON: {error}") from None
    return document if isinstance(document, dict) else {}


class Dashboards:
    """The manifests of one dashboards folder."""

    def __init__(self, folder: Path, settings: StudioConfig, quicksight_client: Any = None) -> None:
        self.folder = folder
        self.settings = settings
        self._client = quicksight_client

    def list(self, app_id: str) -> list[Dashboard]:
        found = [
            Dashboard(str(entry["id"]), str(entry.get("title", entry["id"])), str(entry["app_id"]), "rendered",
                      file=str(entry["file"]), rendered_at=entry.get("rendered_at"))
            for entry in _read(self.folder / RENDERED).get("dashboards", [])
            if entry.get("app_id") == app_id
        ]  # fmt: skip
        quicksight = _read(self.folder / QUICKSIGHT)
        found += [
            Dashboard(str(entry["id"]), str(entry.get("title", entry["id"])), str(entry["app_id"]), "quicksight",
                      arn=entry.get("arn"))
            for entry in quicksight.get("dashboards", [])
            if entry.get("app_id") == app_id
        ]  # fmt: skip
        return found

    def find(self, app_id: str, dashboard_id: str) -> Dashboard:
        for dashboard in self.list(app_id):
            if dashboard.id == dashboard_id:
                return dashboard
        raise DashboardError(404, f"app {app_id} has no dashboard {dashboard_id!r}")

    def rendered_file(self, dashboard: Dashboard) -> Path:
        """The rendered HTML file, which must lie inside the dashboards folder."""
        assert dashboard.file is not None
        folder = self.folder.resolve()
        path = (folder / dashboard.file).resolve()
        if folder not in path.parents or not path.is_file():
            raise DashboardError(404, f"rendered file of dashboard {dashboard.id} is missing")
        return path

    def embed_url(self, dashboard: Dashboard) -> str:
        """A QuickSight embed URL for the configured user (GenerateEmbedUrlForRegisteredUser)."""
        manifest = _read(self.folder / QUICKSIGHT)
        if not self.settings.quicksight_user_arn:
            raise DashboardError(
                409, "studio.quicksight_user_arn is not set: the Studio cannot ask QuickSight for embed URLs"
            )
        client = self._client
        if client is None:
            import boto3

            client = boto3.client("quicksight", region_name=manifest.get("region"))
        request: dict[str, Any] = {
            "AwsAccountId": manifest["aws_account_id"],
            "SessionLifetimeInMinutes": self.settings.embed_session_minutes,
            "UserArn": self.settings.quicksight_user_arn,
            "ExperienceConfiguration": {"Dashboard": {"InitialDashboardId": dashboard.id}},
        }
        if self.settings.allowed_domains:
            request["AllowedDomains"] = self.settings.allowed_domains
        try:
            response = client.generate_embed_url_for_registered_user(**request)
        except Exception as error:  # botocore's ClientError and connection errors alike
            raise DashboardError(502, f"QuickSight did not give an embed URL: {error}") from None
        return str(response["EmbedUrl"])

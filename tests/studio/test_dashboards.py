"""Dashboards: the rendered ones listed and served from their manifest, QuickSight ones opened by embed URL."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from fastapi.testclient import TestClient

from clickstream.config import Config, StudioConfig
from clickstream.studio.app import create_app
from tests.support.studio import LOCAL_URL, PASSWORD

USER_ARN = "arn:aws:quicksight:us-east-1:123456789012:user/default/analyst"


@pytest.fixture
def dashboards_home(studio_config: Config, tmp_path: Path) -> Config:
    """The Studio's config with its own dashboards folder: two rendered dashboards and a QuickSight one."""
    home = tmp_path / "home"
    folder = home / "dashboards"
    folder.mkdir(parents=True)
    (folder / "shop-overview.html").write_text("<html><body><h1>Overview of shop</h1></body></html>")
    (tmp_path / "secret.html").write_text("not for you")
    rendered = {"dashboards": [
        {"id": "overview", "title": "Overview", "app_id": "shop", "file": "shop-overview.html",
         "rendered_at": "2024-01-10T00:00:00Z"},
        {"id": "escape", "title": "Escape", "app_id": "shop", "file": "../secret.html",
         "rendered_at": "2024-01-10T00:00:00Z"},
        {"id": "other-app", "title": "Other", "app_id": "other", "file": "other.html", "rendered_at": "2024-01-10"},
    ]}  # fmt: skip
    (folder / "rendered.json").write_text(json.dumps(rendered))
    quicksight = {"aws_account_id": "123456789012", "region": "us-east-1", "dashboards": [
        {"id": "qs-shop-1", "title": "QuickSight shop", "app_id": "shop",
         "arn": "arn:aws:quicksight:us-east-1:123456789012:dashboard/qs-shop-1", "version": 3}]}  # fmt: skip
    (folder / "quicksight.json").write_text(json.dumps(quicksight))
    # the warehouse snapshot and catalog stay the module's; only home's dashboards folder is this test's
    for name in ("serving", "metadata"):
        (home / name).symlink_to(studio_config.home / name)
    return studio_config.model_copy(update={"home": home})


def client_for(config: Config, quicksight: Any = None, **studio: Any) -> TestClient:
    settings = StudioConfig.model_validate(studio)
    client = TestClient(
        create_app(config.model_copy(update={"studio": settings}), PASSWORD, quicksight), base_url=LOCAL_URL
    )
    client.post("/auth/login", json={"password": PASSWORD})
    return client


def test_the_list_holds_the_apps_rendered_and_quicksight_dashboards(dashboards_home: Config) -> None:
    listed = client_for(dashboards_home).get("/api/project/demo/shop/dashboard").json()
    assert [(d["id"], d["kind"]) for d in listed] == [
        ("overview", "rendered"), ("escape", "rendered"), ("qs-shop-1", "quicksight"),
    ]  # fmt: skip


def test_a_rendered_dashboard_opens_as_its_html(dashboards_home: Config) -> None:
    client = client_for(dashboards_home)
    opened = client.get("/api/project/demo/shop/dashboard/overview").json()
    page = client.get(opened["url"])
    assert page.status_code == 200 and "Overview of shop" in page.text


def test_a_manifest_entry_cannot_point_outside_the_dashboards_folder(dashboards_home: Config) -> None:
    response = client_for(dashboards_home).get("/api/project/demo/shop/dashboard/escape/file")
    assert response.status_code == 404


def test_a_quicksight_dashboard_opens_by_an_embed_url_for_the_configured_user(dashboards_home: Config) -> None:
    quicksight = boto3.client("quicksight", region_name="us-east-1", aws_access_key_id="test",
                              aws_secret_access_key="test")  # fmt: skip
    embed = "https://us-east-1.quicksight.aws.amazon.com/embed/abc"
    with Stubber(quicksight) as stub:
        stub.add_response(
            "generate_embed_url_for_registered_user",
            {"EmbedUrl": embed, "Status": 200, "RequestId": "r-1"},
            {"AwsAccountId": "123456789012", "SessionLifetimeInMinutes": 30, "UserArn": USER_ARN,
             "ExperienceConfiguration": {"Dashboard": {"InitialDashboardId": "qs-shop-1"}},
             "AllowedDomains": ["https://studio.example.com"]},
        )  # fmt: skip
        client = client_for(dashboards_home, quicksight, quicksight_user_arn=USER_ARN, embed_session_minutes=30,
                            allowed_domains=["https://studio.example.com"])  # fmt: skip
        opened = client.get("/api/project/demo/shop/dashboard/qs-shop-1").json()
        stub.assert_no_pending_responses()
    assert opened["url"] == embed


def test_quicksight_refusing_is_a_502_with_its_reason(dashboards_home: Config) -> None:
    quicksight = boto3.client("quicksight", region_name="us-east-1", aws_access_key_id="test",
                              aws_secret_access_key="test")  # fmt: skip
    with Stubber(quicksight) as stub:
        stub.add_client_error("generate_embed_url_for_registered_user", "AccessDeniedException", "not allowed")
        client = client_for(dashboards_home, quicksight, quicksight_user_arn=USER_ARN)
        response = client.get("/api/project/demo/shop/dashboard/qs-shop-1")
    assert response.status_code == 502 and "not allowed" in response.json()["error"]


def test_without_a_quicksight_user_the_embed_is_refused_with_the_key_to_set(dashboards_home: Config) -> None:
    response = client_for(dashboards_home).get("/api/project/demo/shop/dashboard/qs-shop-1")
    assert response.status_code == 409 and "studio.quicksight_user_arn" in response.json()["error"]


def test_no_manifest_means_no_dashboards(studio_config: Config) -> None:
    assert client_for(studio_config).get("/api/project/demo/shop/dashboard").json() == []

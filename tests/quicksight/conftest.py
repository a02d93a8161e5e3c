"""One simulated warehouse for the dashboard tests: Web, Android and iOS traffic through the pipeline."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from clickstream.config import Config
from clickstream.etl.process import EtlJob
from clickstream.etl.runner import run_etl
from clickstream.loader.runner import run_load
from clickstream.modeling import run_dbt
from clickstream.simulator.generator import SimulationSpec, iter_requests
from clickstream.simulator.sender import write_raw
from clickstream.storage import Storage
from tests.support.config import make_config

APPS = ("shop", "notes")


def build_warehouse(home: Path, users: int = 60, days: int = 10) -> Config:
    """Simulated traffic for two apps, taken through the ETL, the load and `dbt build`."""
    config = make_config(home, apps=[{"id": app} for app in APPS], etl={"freshness_hours": None, "workers": 1})
    end = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
    spec = SimulationSpec(users=users, days=days, seed=11, app_ids=APPS, end=end)
    write_raw(iter_requests(spec), Storage(config.home))
    run_etl(config.home, EtlJob.from_config(config), workers=1)
    run_load(config)
    run_dbt(config, ["build"])
    return config


@pytest.fixture(scope="session")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Config:
    return build_warehouse(tmp_path_factory.mktemp("dashboards") / "home")

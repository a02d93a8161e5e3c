"""The display store's upsert against a real PostgreSQL: a throwaway cluster (initdb, pg_ctl) per module.

Skipped when no PostgreSQL server binaries are installed (`.ci/run` installs Debian's postgresql). The
server refuses to run as root, so as root the cluster belongs to ``nobody``.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from clickstream.studio.store import DisplayStore
from tests.support.loopback import free_port

pytestmark = pytest.mark.slow


def _binaries() -> Path | None:
    found = shutil.which("initdb") or next(iter(sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))[-1:]), None)
    return Path(found).resolve().parent if found else None


def _run(command: list[str], as_nobody: bool) -> None:
    prefix = ["runuser", "-u", "nobody", "--"] if as_nobody else []
    subprocess.run([*prefix, *command], check=True, capture_output=True, timeout=120)


@pytest.fixture(scope="module")
def postgresql_url() -> Iterator[str]:
    binaries = _binaries()
    if binaries is None:
        pytest.skip("no PostgreSQL server binaries (initdb) installed")
    as_nobody = os.geteuid() == 0
    folder = Path(tempfile.mkdtemp(prefix="studio-pg-"))
    if as_nobody:
        os.chmod(folder, 0o755)
        shutil.chown(folder, "nobody")
    data, port = folder / "data", free_port()
    _run([str(binaries / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8"], as_nobody)
    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off"
    _run([str(binaries / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(folder / "log"), "-w", "start"],
         as_nobody)  # fmt: skip
    try:
        yield f"postgresql+psycopg2://postgres@127.0.0.1:{port}/postgres"
    finally:
        _run([str(binaries / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"], as_nobody)
        shutil.rmtree(folder, ignore_errors=True)


def test_saving_an_entry_twice_keeps_one_row_with_the_last_save(postgresql_url: str) -> None:
    store = DisplayStore(postgresql_url)
    try:
        store.put("demo", "shop", "demo#shop#purchase", {"en-US": "Order"}, {}, "ana")
        store.put("demo", "shop", "demo#shop#purchase", {"en-US": "Purchase", "zh-CN": "购买"}, {"en-US": "Paid"}, "bo")
        store.put("demo", "shop", "demo#shop#view_item", {"en-US": "Product view"}, {}, "ana")
        saved = store.all("demo", "shop")
    finally:
        store.close()
    assert sorted(saved) == ["demo#shop#purchase", "demo#shop#view_item"]
    purchase = saved["demo#shop#purchase"]
    assert (purchase["display_name"], purchase["description"], purchase["updated_by"]) == (
        {"en-US": "Purchase", "zh-CN": "购买"}, {"en-US": "Paid"}, "bo",
    )  # fmt: skip
    assert purchase["updated_at"].tzinfo is not None

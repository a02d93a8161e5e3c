"""`clickstream studio --publish` takes the pipeline lock (decision 26), so it never publishes mid-cycle."""

from __future__ import annotations

import pytest

from clickstream.config import Config
from clickstream.errors import LockBusy
from clickstream.locks import cycle_lock_path, exclusive_lock
from clickstream.serving import snapshot_path
from clickstream.studio.server import serve


def test_publish_waits_for_a_running_cycle_and_then_gives_up_naming_it(studio_config: Config) -> None:
    before = snapshot_path(studio_config).stat().st_mtime_ns if snapshot_path(studio_config).exists() else None
    held = exclusive_lock(cycle_lock_path(studio_config), 0, "a pipeline cycle")
    with held, pytest.raises(LockBusy, match=r"a pipeline cycle .*is already running .*waited 0\.2s"):
        serve(studio_config, None, None, publish=True, lock_timeout_seconds=0.2)
    after = snapshot_path(studio_config).stat().st_mtime_ns if snapshot_path(studio_config).exists() else None
    assert after == before  # nothing was published while the cycle held the lock

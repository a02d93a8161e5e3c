"""`clickstream studio` as an operator runs it: a process that publishes, prints a password and serves."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import yaml

from clickstream.config import Config
from tests.support.loopback import free_port

pytestmark = pytest.mark.slow


def test_the_command_publishes_serves_and_signs_in_with_the_printed_password(
    studio_config: Config, tmp_path: Path
) -> None:
    config_file = tmp_path / "clickstream.yml"
    config_file.write_text(yaml.safe_dump({"home": str(studio_config.home), "apps": [{"id": "shop"}]}))
    port = free_port()
    command = [sys.executable, "-m", "clickstream", "--config", str(config_file), "studio", "--port", str(port),
               "--publish"]  # fmt: skip
    environment = {**os.environ, "COLUMNS": "200", "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=environment)
    assert process.stdout is not None
    try:
        printed: list[str] = []
        while not any("studio: http://" in line for line in printed):  # its lines before uvicorn starts
            line = process.stdout.readline()
            assert line, "".join(printed)
            printed.append(line)
        output = "".join(printed)
        assert "published 20 events" in output
        password = re.search(r"password for this run: (\S+)", output)
        assert password is not None, output
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(base + "/auth/session", timeout=2).close()
                break
            except (urllib.error.URLError, ConnectionError):
                assert time.monotonic() < deadline and process.poll() is None, "the Studio did not start"
                time.sleep(0.2)
        login = urllib.request.Request(base + "/auth/login", data=json.dumps({"password": password[1]}).encode(),
                                       headers={"Content-Type": "application/json"}, method="POST")  # fmt: skip
        with urllib.request.urlopen(login, timeout=5) as response:
            assert response.status == 200
            assert "clickstream_studio_session=" in response.headers["Set-Cookie"]
    finally:
        process.terminate()
        process.communicate(timeout=20)

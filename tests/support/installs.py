"""Install tests' helpers: a wheel built from a copy of the checkout, fresh venvs that install it.

A fresh venv sees the dev venv's third-party packages through a ``.pth`` path line, so no test downloads
the dependencies. The checkout's editable ``clickstream`` stays invisible there: setuptools' editable finder is
hooked in by a ``.pth`` file of the dev venv, and Python processes ``.pth`` files of site folders only, never
of folders a path line adds.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
# What a build never reads: the checkout's own tooling, caches, outputs and compiled modules.
_TOP_LEVEL_SKIP = {".git", ".venv", "build", "dist", "bench", "docs", "tests", "deploy", "test-artifacts"}
_SKIP_PATTERNS = ("__pycache__", "*.pyc", "*.so", "*.egg-info", ".*_cache", ".hypothesis", ".clickstream*")


def copy_checkout(destination: Path) -> Path:
    """The checkout's files a build may read (dbt's target/ stays in: the wheel must leave it out)."""
    skip_anywhere = shutil.ignore_patterns(*_SKIP_PATTERNS)

    def ignore(folder: str, names: list[str]) -> set[str]:
        skipped = set(skip_anywhere(folder, names))
        if Path(folder) == REPO:
            skipped |= _TOP_LEVEL_SKIP & set(names)
        return skipped

    shutil.copytree(REPO, destination, symlinks=True, ignore=ignore)
    return destination


def build_wheel(source: Path, out: Path) -> Path:
    """``pip wheel --no-deps`` of ``source``. Build isolation stays on: the build needs a newer setuptools
    than the dev venv has, and pip's find-links serve it offline."""
    out.mkdir(parents=True, exist_ok=True)
    run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--wheel-dir", str(out), str(source.resolve())],
        out,
    )
    [wheel] = out.glob("clickstream_analytics-*.whl")
    return wheel


def dev_site_packages() -> list[str]:
    paths = sysconfig.get_paths()
    return sorted({paths["purelib"], paths["platlib"]})


def fresh_venv(folder: Path) -> Path:
    """A new venv at ``folder`` (no pip: the dev venv's pip installs into it) that sees the dev dependencies."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(folder)], check=True)
    site = Path(
        subprocess.run(
            [str(folder / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    )
    (site / "dev-dependencies.pth").write_text("\n".join(dev_site_packages()) + "\n", encoding="utf-8")
    return folder


def pip_install(venv: Path, *targets: str | Path) -> None:
    pip = [sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install", "--no-deps", "--quiet"]
    run([*pip, *map(str, targets)], venv)


def environment(venv: Path, **extra: str) -> dict[str, str]:
    """The venv's bin first on PATH; nothing that would lead a process back to the checkout or its config."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME"} and not key.startswith("CLICKSTREAM_")
    }
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env.update(extra)
    return env


def run(command: list[str], cwd: Path, env: dict[str, str] | None = None, timeout: float = 600) -> str:
    """Run ``command``; on failure the assertion shows its output."""
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{' '.join(command)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def outside_checkout(path: Path) -> bool:
    return not path.resolve().is_relative_to(REPO)

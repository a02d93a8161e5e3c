"""The Spark job's code as EMR Serverless runs it: the project's packages in one ``--py-files`` zip.

Why a zip of our code and an image for the rest (docs/decisions.md, "AWS deployment"): EMR 7 images ship
Python 3.9 while the project needs 3.11, so a custom image is needed anyway; it holds Python 3.11 and
the third-party wheels (pyarrow, ua-parser-rs, maxminddb, ...), which change rarely. Our code changes
every release and travels as this zip, keyed by its content hash, so a code-only release needs no image
build and a rollback is the previous key.

The zip is built from the imported packages (works from a checkout or an installed wheel), with a
``.dist-info`` folder holding the distribution's entry points, since ETL plugins are found through
them. Entries are sorted and dated 1980-01-01, so the same code always gives the same bytes and key.
"""

from __future__ import annotations

import hashlib
import io
import os
import zipfile
from importlib import metadata
from importlib.util import find_spec
from pathlib import Path

DISTRIBUTION = "clickstream-analytics"
PACKAGE = "clickstream"
# The stages the Spark runner never imports, left out of the zip; the rest of the package goes in.
_SKIP_STAGES = {"studio", "quicksight", "infra", "dbt_project"}
_SKIP_PARTS = {"__pycache__"}
# Compiled modules are built for this machine and cannot load from a zip: the job takes their fallbacks.
_SKIP_SUFFIXES = {".pyc", ".pyo", ".so", ".pyd"}
_EPOCH = (1980, 1, 1, 0, 0, 0)


def package_folder(name: str) -> Path:
    spec = find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise LookupError(f"package {name} is not importable")
    return Path(next(iter(spec.submodule_search_locations)))


def _files(folder: Path) -> list[Path]:
    """The package's files; in a checkout the stage folders are symbolic links, so the walk follows links."""
    found: list[Path] = []
    for directory, subfolders, names in os.walk(folder, followlinks=True):
        here = Path(directory)
        skip = _SKIP_PARTS | (_SKIP_STAGES if here == folder else set())
        subfolders[:] = [name for name in subfolders if name not in skip]
        found.extend(here / name for name in names if Path(name).suffix not in _SKIP_SUFFIXES)
    return sorted(found)


def _dist_info() -> dict[str, str]:
    dist = metadata.distribution(DISTRIBUTION)
    folder = f"{DISTRIBUTION.replace('-', '_')}-{dist.version}.dist-info"
    files = {f"{folder}/METADATA": f"Metadata-Version: 2.1\nName: {DISTRIBUTION}\nVersion: {dist.version}\n"}
    entry_points = dist.read_text("entry_points.txt")
    if entry_points:
        files[f"{folder}/entry_points.txt"] = entry_points
    files[f"{folder}/top_level.txt"] = PACKAGE + "\n"
    return files


def build_code_zip() -> bytes:
    """The ``--py-files`` zip, byte-for-byte reproducible."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        entries: dict[str, bytes] = {}
        root = package_folder(PACKAGE)
        for path in _files(root):
            entries[f"{PACKAGE}/{path.relative_to(root).as_posix()}"] = path.read_bytes()
        entries.update({name: text.encode() for name, text in _dist_info().items()})
        for name in sorted(entries):
            info = zipfile.ZipInfo(name, date_time=_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, entries[name])
    return buffer.getvalue()


def entry_point_source() -> bytes:
    """deploy/spark_etl_entry.py when running from a checkout, else the same three lines."""
    checkout = package_folder(PACKAGE).parent / "deploy" / "spark_etl_entry.py"
    if checkout.is_file():
        return checkout.read_bytes()
    return (
        b"from clickstream.etl.spark_runner import main\n\nif __name__ == '__main__':\n    raise SystemExit(main())\n"
    )


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]

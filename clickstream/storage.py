"""One filesystem interface for local folders and S3.

pyarrow's ``fs`` module speaks both, so no stage has two code paths for local and cloud. Writes are
atomic: locally through a temporary name and a rename, on S3 because a single PUT is atomic. A reader
therefore never sees half a file, which is what lets "its output exists" mean "it was processed".
"""

from __future__ import annotations

import io
import os
import uuid
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import pyarrow as pa
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from clickstream.fsync import fsync_directory


@dataclass(frozen=True)
class StoredFile:
    """A file under the storage root: its path relative to the root and its size in bytes."""

    path: str
    size: int


class Storage:
    """Files under one root: a local folder or an ``s3://bucket/prefix`` URI."""

    def __init__(self, root: str | Path) -> None:
        root_text = str(root)
        if "://" in root_text:
            self.fs, base = pafs.FileSystem.from_uri(root_text)
            self.is_local = False
        else:
            base = str(Path(root_text).resolve())
            self.fs = pafs.LocalFileSystem()
            self.is_local = True
        self.base = base.rstrip("/")
        self.root = root_text

    def path(self, relative: str | PurePosixPath) -> str:
        """The filesystem path of ``relative`` (what pyarrow and DuckDB open)."""
        return f"{self.base}/{str(relative).lstrip('/')}"

    def exists(self, relative: str | PurePosixPath) -> bool:
        return bool(self.fs.get_file_info(self.path(relative)).type == pafs.FileType.File)

    def list_files(self, prefix: str | PurePosixPath, suffix: str = "") -> list[StoredFile]:
        """Files below ``prefix`` ending in ``suffix``, sorted by path; hidden and temporary files skipped."""
        selector = pafs.FileSelector(self.path(prefix), recursive=True, allow_not_found=True)
        found = []
        for info in self.fs.get_file_info(selector):
            name = info.base_name
            if info.type != pafs.FileType.File or name.startswith(".") or not name.endswith(suffix):
                continue
            found.append(StoredFile(info.path[len(self.base) + 1 :], info.size or 0))
        return sorted(found, key=lambda stored: stored.path)

    def read_bytes(self, relative: str | PurePosixPath) -> bytes:
        with self.fs.open_input_stream(self.path(relative), compression=None) as stream:
            return bytes(stream.read())

    def write_bytes(self, relative: str | PurePosixPath, data: bytes) -> None:
        """Write ``data`` so that readers see either no file or the whole file."""
        target = self.path(relative)
        parent = target.rsplit("/", 1)[0]
        self.fs.create_dir(parent, recursive=True)
        if not self.is_local:
            with self.fs.open_output_stream(target, compression=None) as stream:
                stream.write(data)
            return
        temporary = f"{parent}/.{uuid.uuid4().hex}.tmp"
        with open(temporary, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        Path(temporary).replace(target)
        fsync_directory(parent)  # the rename itself must survive a power loss before callers move on

    def write_parquet(self, relative: str | PurePosixPath, table: pa.Table) -> None:
        buffer = io.BytesIO()
        pq.write_table(table, buffer, compression="snappy")
        self.write_bytes(relative, buffer.getvalue())

    def read_parquet(self, relative: str | PurePosixPath) -> pa.Table:
        return pq.read_table(self.path(relative), filesystem=self.fs)

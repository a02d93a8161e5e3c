"""One filesystem interface for local folders and S3.

pyarrow's ``fs`` module speaks both, so no stage has two code paths for local and cloud. Writes are
atomic: locally through a temporary name and a rename, on S3 because a single PUT is atomic. A reader
therefore never sees half a file, which is what lets "its output exists" mean "it was processed".
"""

from __future__ import annotations

import contextlib
import io
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO

import pyarrow as pa
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from clickstream.fsync import fsync_directory


@dataclass(frozen=True)
class StoredFile:
    """A file under the storage root: its path relative to the root, its size in bytes and modification time."""

    path: str
    size: int
    mtime_ns: int = 0


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

    def uri(self, relative: str | PurePosixPath) -> str:
        """How engines outside this process name the file: an ``s3://`` URI, or the local path."""
        return self.path(relative) if self.is_local else f"s3://{self.path(relative)}"

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
            found.append(StoredFile(info.path[len(self.base) + 1 :], info.size or 0, info.mtime_ns or 0))
        return sorted(found, key=lambda stored: stored.path)

    def read_bytes(self, relative: str | PurePosixPath) -> bytes:
        with self.fs.open_input_stream(self.path(relative), compression=None) as stream:
            return bytes(stream.read())

    def write_bytes(self, relative: str | PurePosixPath, data: bytes) -> None:
        """Write ``data`` so that readers see either no file or the whole file."""
        target = self.path(relative)
        parent = target.rsplit("/", 1)[0]
        if not self.is_local:  # S3 has no folders: creating them would only add empty marker objects
            with self.fs.open_output_stream(target, compression=None) as stream:
                stream.write(data)
            return
        temporary = f"{parent}/.{uuid.uuid4().hex}.tmp"
        self.fs.create_dir(parent, recursive=True)
        with open(temporary, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        Path(temporary).replace(target)
        fsync_directory(parent)  # the rename itself must survive a power loss before callers move on

    def open_input(self, relative: str | PurePosixPath) -> BinaryIO:
        """A buffered binary stream of a file, for reading large inputs without loading them whole."""
        if self.is_local:
            return open(self.path(relative), "rb")
        return self.fs.open_input_file(self.path(relative))  # type: ignore[no-any-return]

    @contextmanager
    def atomic_output(self, relative: str | PurePosixPath) -> Iterator[BinaryIO]:
        """A stream whose content appears at ``relative`` only when the block ends without an error.

        Locally it is a temporary file renamed into place (and fsync'd); on S3 the upload completes on close,
        and an error aborts it, so readers never see a partial file either way.
        """
        target = self.path(relative)
        parent = target.rsplit("/", 1)[0]
        if not self.is_local:  # S3: the upload completes on close; no folder markers
            stream = self.fs.open_output_stream(target, compression=None)
            try:
                yield stream
            except BaseException:
                abort = getattr(stream, "abort", None)  # newer pyarrow can abandon an S3 multipart upload
                if abort is not None:
                    abort()
                raise
            stream.close()
            return
        self.fs.create_dir(parent, recursive=True)
        temporary = Path(f"{parent}/.{uuid.uuid4().hex}.tmp")
        try:
            with open(temporary, "wb") as handle:
                yield handle
                handle.flush()
                os.fsync(handle.fileno())
            temporary.replace(target)
        finally:
            temporary.unlink(missing_ok=True)
        fsync_directory(parent)

    def delete(self, relative: str | PurePosixPath) -> None:
        """Remove a file if it exists."""
        with contextlib.suppress(FileNotFoundError):
            self.fs.delete_file(self.path(relative))

    def write_parquet(self, relative: str | PurePosixPath, table: pa.Table) -> None:
        buffer = io.BytesIO()
        pq.write_table(table, buffer, compression="snappy")
        self.write_bytes(relative, buffer.getvalue())

    def read_parquet(self, relative: str | PurePosixPath) -> pa.Table:
        return pq.read_table(self.path(relative), filesystem=self.fs)

"""Blob stores for evidence files, chosen by URL: ``file://DIR`` is built in.

Object stores (``s3://bucket/prefix``, ``gs://``, ``az://``) come through fsspec with the
optional extra ``qualityflow[s3]`` (:mod:`qualityflow.evidence.remote`).

A blob store keeps bytes under their SHA-256 and gives them back by URI. Plugins add
schemes through ``qualityflow_register_blobstore(register)`` (``register(scheme,
factory)``, ``factory(url) -> BlobStore``).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote, urlparse

from qualityflow.errors import NotFoundError, StorageError
from qualityflow.evidence.remote import REMOTE_SCHEMES, FsspecBlobStore
from qualityflow.i18n import N_, _
from qualityflow.plugins import hookimpl

__all__ = ["BlobStore", "FileBlobStore", "FsspecBlobStore", "builtin"]


NOT_A_FILE_URL = N_("blob store {url!r}: give file:///absolute/dir")
CANNOT_WRITE_FILE = N_(
    "blob store {url!r}: cannot write {path}: {error}; check the directory and its permissions"
)


class BlobStore(Protocol):
    """Stores bytes by hash; ``put`` returns the URI, ``read`` gives the bytes back."""

    url: str

    def put(self, data: bytes, sha256: str) -> str:
        """Store ``data`` (whose hash is ``sha256``) and return its URI."""
        ...  # pragma: no cover - protocol

    def read(self, uri: str) -> bytes:
        """Return the bytes at ``uri``; raise NotFoundError when they are gone."""
        ...  # pragma: no cover - protocol


class FileBlobStore:
    """Blobs as files ``DIR/ab/abcdef...`` (content-addressed, written once).

    Examples
    --------
    >>> import hashlib, tempfile
    >>> store = FileBlobStore("file://" + tempfile.mkdtemp())
    >>> data = b"no chips in 3 weeks"
    >>> uri = store.put(data, hashlib.sha256(data).hexdigest())
    >>> store.read(uri) == data
    True

    """

    def __init__(self, url: str) -> None:
        parsed = urlparse(url)
        if parsed.scheme != "file" or not (parsed.path or parsed.netloc):
            raise StorageError(_(NOT_A_FILE_URL).format(url=url))
        self.root = Path(unquote(parsed.netloc + parsed.path))
        self.url = url

    def _path(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256

    def put(self, data: bytes, sha256: str) -> str:
        """Write ``data`` once under its hash (atomically); return ``file://...``."""
        path = self._path(sha256)
        if not path.exists():
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".part-")
                with os.fdopen(fd, "wb") as out:
                    out.write(data)
                os.replace(tmp, path)
            except OSError as exc:
                raise StorageError(
                    _(CANNOT_WRITE_FILE).format(url=self.url, path=path, error=exc.strerror or exc)
                ) from exc
        return path.as_uri()

    def read(self, uri: str) -> bytes:
        """Return the file's bytes."""
        path = Path(unquote(urlparse(uri).path))
        try:
            return path.read_bytes()
        except FileNotFoundError as exc:
            raise NotFoundError("evidence file", uri) from exc


def sha256_of(data: bytes) -> str:
    """Return the hex SHA-256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


class _Builtin:
    name = "qualityflow.blobstores"

    @hookimpl(trylast=True)
    def qualityflow_register_blobstore(self, register: object) -> None:
        if callable(register):
            register("file", FileBlobStore)
            for scheme in REMOTE_SCHEMES:  # fsspec is imported when one is used
                register(scheme, FsspecBlobStore)


builtin = _Builtin()
"""The built-in blob stores plugin (``file://``, and object stores through fsspec)."""

"""Evidence files in an object store through fsspec: ``s3://``, ``gs://``, ``az://``...

Installed with the optional extra ``qualityflow[s3]`` (fsspec and s3fs; ``gcsfs`` or
``adlfs`` for Google Cloud Storage or Azure). The URL names the bucket and a prefix,
``qf.QualityFlow(url, blobs="s3://qms-evidence/plant-1")``; blobs are kept content
addressed as ``<prefix>/ab/abcdef...``, written once. How to reach the store (endpoint of
an S3-compatible server such as MinIO or Ceph, credentials, region) is fsspec's own
configuration: the ``FSSPEC_S3_ENDPOINT_URL`` style environment variables, a file in
``~/.config/fsspec/``, or ``FsspecBlobStore(url, **storage_options)`` registered by a
plugin. Credentials are never part of the stored URI.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

from qualityflow.errors import NotFoundError, StorageError
from qualityflow.i18n import N_, _

__all__ = ["REMOTE_SCHEMES", "FsspecBlobStore"]

REMOTE_SCHEMES: tuple[str, ...] = ("s3", "s3a", "gs", "gcs", "az", "abfs", "abfss")
"""The object-store schemes registered as blob stores (each needs its fsspec backend)."""

NEEDS_FSSPEC = N_("blob store {url!r} needs fsspec: pip install 'qualityflow[s3]'")
NEEDS_BACKEND = N_("blob store {url!r} needs its fsspec backend: pip install {package}")
BAD_STORE_URL = N_("blob store {url!r}: {error}")
NO_BUCKET = N_("blob store {url!r}: name a bucket (and a prefix) in the URL")
CANNOT_WRITE = N_(
    "blob store {url!r}: cannot write {uri}: {error}; check the bucket, the endpoint and the "
    "credentials (fsspec's configuration)"
)
CANNOT_READ = N_(
    "blob store {url!r}: cannot read {uri}: {error}; check the endpoint and the credentials"
)

_BACKENDS = {
    "s3": "'qualityflow[s3]'",
    "s3a": "'qualityflow[s3]'",
    "gs": "gcsfs",
    "gcs": "gcsfs",
    "az": "adlfs",
    "abfs": "adlfs",
    "abfss": "adlfs",
}


class FsspecBlobStore:
    """Blobs in any fsspec filesystem, under ``<url>/ab/abcdef...`` (written once).

    ``storage_options`` go to the filesystem (``endpoint_url=...``, ``key=...``) on top
    of fsspec's configuration.

    Examples
    --------
    fsspec's in-memory filesystem stands in for a bucket here:

    >>> import hashlib
    >>> store = FsspecBlobStore("memory://qms-evidence/plant-1")
    >>> data = b"photo of the chipped jar"
    >>> uri = store.put(data, hashlib.sha256(data).hexdigest())
    >>> "qms-evidence/plant-1/" in uri
    True
    >>> store.read(uri) == data
    True

    """

    def __init__(self, url: str, **storage_options: Any) -> None:
        scheme = urlparse(url).scheme
        try:
            from fsspec.core import url_to_fs
        except ImportError as exc:  # pragma: no cover - the extra is part of dev
            raise StorageError(_(NEEDS_FSSPEC).format(url=url)) from exc
        try:
            self._fs, root = url_to_fs(url, **storage_options)
        except ImportError as exc:
            package = _BACKENDS.get(scheme, f"the fsspec backend for {scheme}://")
            raise StorageError(_(NEEDS_BACKEND).format(url=url, package=package)) from exc
        except (ValueError, TypeError) as exc:
            raise StorageError(_(BAD_STORE_URL).format(url=url, error=exc)) from exc
        self._root = str(root).rstrip("/")
        if not self._root:
            raise StorageError(_(NO_BUCKET).format(url=url))
        self.url = url

    def _path(self, sha256: str) -> str:
        return f"{self._root}/{sha256[:2]}/{sha256}"

    def _uri(self, path: str) -> str:
        return str(self._fs.unstrip_protocol(path))

    def put(self, data: bytes, sha256: str) -> str:
        """Write ``data`` once under its hash; return the object's URI."""
        path = self._path(sha256)
        try:
            if not self._fs.exists(path):
                self._fs.pipe_file(path, data)
        except Exception as exc:  # any backend's failure (botocore's are not OSErrors)
            raise StorageError(
                _(CANNOT_WRITE).format(url=self.url, uri=self._uri(path), error=exc)
            ) from exc
        return self._uri(path)

    def read(self, uri: str) -> bytes:
        """Return the object's bytes; :class:`~qualityflow.NotFoundError` when it is gone."""
        try:
            return bytes(self._fs.cat_file(uri))
        except FileNotFoundError as exc:
            raise NotFoundError("evidence file", uri) from exc
        except Exception as exc:  # any backend's failure (botocore's are not OSErrors)
            raise StorageError(_(CANNOT_READ).format(url=self.url, uri=uri, error=exc)) from exc

"""``qms.evidence``: store evidence files in a blob store and check them later."""

from __future__ import annotations

import builtins
import mimetypes
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from qualityflow.errors import NotFoundError, QualityFlowError
from qualityflow.evidence import sha256_of
from qualityflow.models.evidence import Evidence
from qualityflow.people import ActorLike

if TYPE_CHECKING:
    from qualityflow.service.facade import QualityFlow

__all__ = ["EvidenceStore", "default_blobs_url"]


def default_blobs_url(storage_url: str) -> str | None:
    """Return the default blob store beside a SQLite file (``<db>.evidence``), else None.

    Examples
    --------
    >>> default_blobs_url("sqlite:////srv/qms/plant.db")
    'file:///srv/qms/plant.db.evidence'
    >>> default_blobs_url("postgresql://db/qms") is None
    True

    """
    parsed = urlparse(storage_url)
    if parsed.scheme == "sqlite" and parsed.path not in ("", "/", "/:memory:"):
        path = Path(parsed.path[1:] if storage_url.startswith("sqlite:///") else parsed.path)
        return Path(str(path.resolve()) + ".evidence").as_uri()
    if parsed.scheme == "memory":
        return Path(tempfile.mkdtemp(prefix="qualityflow-evidence-")).as_uri()
    return None


class EvidenceStore:
    """Put files into the service's blob store and re-hash them (``qms.evidence``)."""

    def __init__(self, service: QualityFlow, url: str | None) -> None:
        self._service = service
        self._url = url
        self._store: Any = None

    @property
    def url(self) -> str:
        """The blob store's URL (``blobs=``, else beside the SQLite file, else a temp dir)."""
        if self._url is None:
            self._url = default_blobs_url(self._service.storage.url)
        if self._url is None:
            raise QualityFlowError(
                f"no blob store for evidence files beside {self._service.storage.url!r}: "
                "give qf.QualityFlow(url, blobs='file:///dir') or a plugin's store"
            )
        return self._url

    def _blobs(self) -> Any:
        if self._store is None:
            url = self.url
            scheme = urlparse(url).scheme
            factories = self._service.plugins.blobstore_factories()
            if scheme not in factories:
                raise QualityFlowError(
                    f"no blob store for scheme {scheme!r} ({url!r}): use file:///dir or "
                    f"install a plugin for it (known: {', '.join(sorted(factories))})"
                )
            self._store = factories[scheme](url)
        return self._store

    def put(
        self,
        path_or_bytes: str | Path | bytes,
        *,
        media_type: str | None = None,
        by: ActorLike = "",
        filename: str | None = None,
    ) -> Evidence:
        """Store a file (or bytes) and return the :class:`Evidence` that references it.

        Examples
        --------
        >>> import qualityflow as qf
        >>> qms = qf.QualityFlow()
        >>> ev = qms.evidence.put(b"no chips", media_type="text/plain", by="QA Lena")
        >>> ev.size, ev.by, qms.evidence.verify([ev])
        (8, 'QA Lena', [])

        """
        if isinstance(path_or_bytes, bytes):
            data, name = path_or_bytes, filename or ""
        else:
            path = Path(path_or_bytes)
            data, name = path.read_bytes(), filename or path.name
        kind = media_type or mimetypes.guess_type(name)[0] or "application/octet-stream"
        who = "" if isinstance(by, str) and not by.strip() else self._service.resolve_actor(by).name
        digest = sha256_of(data)
        uri = self._blobs().put(data, digest)
        return Evidence(
            sha256=digest,
            media_type=kind,
            filename=name,
            size=len(data),
            uri=uri,
            captured_at=self._service.now(),
            by=who,
        )

    def read(self, evidence: Evidence) -> bytes:
        """Return the evidence's bytes, checked against its hash."""
        data = self._blobs().read(evidence.uri)
        if sha256_of(data) != evidence.sha256:
            raise QualityFlowError(
                f"evidence {evidence.filename or evidence.uri!r} was altered: its SHA-256 no "
                "longer matches the one recorded"
            )
        return bytes(data)

    def verify(self, evidence: Iterable[Evidence]) -> builtins.list[str]:
        """Re-hash every referenced file; return a problem for each missing or altered one."""
        problems: builtins.list[str] = []
        for item in evidence:
            name = item.filename or item.uri
            try:
                data = self._blobs().read(item.uri)
            except (NotFoundError, OSError):
                problems.append(f"evidence file {name!r} ({item.uri}) is missing")
                continue
            if sha256_of(data) != item.sha256 or len(data) != item.size:
                problems.append(
                    f"evidence file {name!r} ({item.uri}) was altered: its SHA-256 is no "
                    f"longer {item.sha256[:12]}..."
                )
        return problems

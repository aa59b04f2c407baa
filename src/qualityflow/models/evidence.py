"""Evidence files: what a verification, contact or inspection rests on, by hash."""

from __future__ import annotations

from pydantic import Field

from qualityflow.models._base import AwareDatetime, NonEmpty, QFModel

__all__ = ["Evidence"]


class Evidence(QFModel):
    """A reference to a stored file: its SHA-256, type, name, size, where and who stored it.

    Records hold the hash and the URI, never the bytes; the blob store keeps the bytes
    (``qms.evidence.put(...)``) and ``qms.evidence.verify(...)`` re-hashes them.
    """

    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    media_type: NonEmpty
    filename: str = ""
    size: int = Field(ge=0)
    uri: NonEmpty
    captured_at: AwareDatetime
    by: str = ""

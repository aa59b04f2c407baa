"""Evidence files: stored by hash in a file:// blob store, re-hashed on verify."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import qualityflow as qf
from qualityflow.models.evidence import Evidence


def test_a_file_is_stored_beside_the_sqlite_file_and_an_alteration_is_reported(
    tmp_path: Path,
) -> None:
    photo = tmp_path / "capper.jpg"
    photo.write_bytes(b"\xff\xd8 a photo of the capper")
    with qf.QualityFlow(f"sqlite:///{tmp_path / 'plant.db'}", load_entry_points=False) as qms:
        ev = qms.evidence.put(photo, by="QA Lena")
        assert ev.media_type == "image/jpeg" and ev.filename == "capper.jpg"
        assert ev.size == photo.stat().st_size and ev.by == "QA Lena"
        stored = Path(ev.uri.removeprefix("file://"))
        assert stored.parent.parent == tmp_path / "plant.db.evidence"
        assert qms.evidence.verify([ev]) == [] and qms.evidence.read(ev) == photo.read_bytes()
        stored.write_bytes(b"something else")
        problems = qms.evidence.verify([ev])
        assert len(problems) == 1 and "capper.jpg" in problems[0] and "altered" in problems[0]
        with pytest.raises(qf.QualityFlowError, match="altered"):
            qms.evidence.read(ev)
        stored.unlink()
        assert "missing" in qms.evidence.verify([ev])[0]


def test_memory_uses_a_temporary_directory_and_bytes_need_no_name() -> None:
    qms = qf.QualityFlow(load_entry_points=False)
    ev = qms.evidence.put(b"no chips", media_type="text/plain")
    assert ev.uri.startswith("file://") and qms.evidence.verify([ev]) == []
    assert Evidence.model_validate(ev.model_dump()) == ev


def test_a_plugin_store_and_an_unknown_scheme(tmp_path: Path) -> None:
    class DictStore:
        def __init__(self, url: str) -> None:
            self.url = url
            self.blobs: dict[str, bytes] = {}

        def put(self, data: bytes, sha256: str) -> str:
            self.blobs[sha256] = data
            return f"dict://{sha256}"

        def read(self, uri: str) -> bytes:
            data: bytes = self.blobs[uri.removeprefix("dict://")]
            return data

    class DictStores:
        @qf.hookimpl
        def qualityflow_register_blobstore(self, register: Any) -> None:
            register("dict", DictStore)

    qms = qf.QualityFlow(blobs="dict://", plugins=[DictStores()], load_entry_points=False)
    assert qms.evidence.put(b"x").uri.startswith("dict://")
    other = qf.QualityFlow(blobs="webdavx://bucket", load_entry_points=False)
    with pytest.raises(qf.QualityFlowError, match="no blob store for scheme 'webdavx'"):
        other.evidence.put(b"x")


def test_audit_verify_blobs_reports_an_altered_file_referenced_by_a_record(
    tmp_path: Path,
) -> None:
    with qf.QualityFlow(f"sqlite:///{tmp_path / 'plant.db'}", load_entry_points=False) as qms:
        ev = qms.evidence.put(b"COA: aflatoxin < 2 ppb", media_type="text/plain", by="QA")
        qms.batches.add(
            qf.Batch(
                id="FLOUR-1",
                kind="raw_material",
                product="flour",
                quantity=qf.Quantity(amount=10, unit="kg"),
                attributes={"certificate": ev.model_dump(mode="json")},
            )
        )
        assert qms.audit.verify(blobs=True).ok
        Path(ev.uri.removeprefix("file://")).write_bytes(b"COA: forged")
        report = qms.audit.verify(blobs=True)
        assert not report.ok and "altered" in str(report) and "FLOUR-1" in str(report)
        assert qms.audit.verify().ok  # without blobs=True the files are not read
